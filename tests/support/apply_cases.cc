#include "support/apply_cases.h"

#include <ostream>

namespace cairn::testing {
namespace {

const Layer k_base = {
    dir("etc"),
    file("etc/issue", "Debian"),
    file("etc/passwd", "root"),
    dir("d"),
    file("d/a", "A"),
    dir("d/sub"),
    file("d/sub/x", "X"),
};
const std::string k_base_list =
    "d d 0755 0:0\n"
    "d/a f 0644 0:0 =\"A\"\n"
    "d/sub d 0755 0:0\n"
    "d/sub/x f 0644 0:0 =\"X\"\n"
    "etc d 0755 0:0\n"
    "etc/issue f 0644 0:0 =\"Debian\"\n"
    "etc/passwd f 0644 0:0 =\"root\"\n";

}  // namespace

std::vector<ApplyCase> apply_cases() {
  return {
      {"all_types",
       {},
       {dir("t", 0700), file("t/f", "hi", 0640).owner(1000, 1001), symlink("t/l", "../f"),
        hardlink("t/h", "t/f"), fifo("t/p", 0600), device("t/c", EntryType::char_device, 1, 3),
        device("t/b", EntryType::block_device, 511, 1048575)},
       "t d 0700 0:0\n"
       "t/b b 0600 0:0 dev=511,1048575\n"
       "t/c c 0600 0:0 dev=1,3\n"
       "t/f f 0640 1000:1001 =\"hi\" hl=t/f\n"
       "t/h f 0640 1000:1001 =\"hi\" hl=t/f\n"
       "t/l l 0777 0:0 ->../f\n"
       "t/p p 0600 0:0\n"},
      {"whiteout_file",
       {k_base},
       {marker("etc/.wh.issue")},
       "d d 0755 0:0\nd/a f 0644 0:0 =\"A\"\nd/sub d 0755 0:0\nd/sub/x f 0644 0:0 =\"X\"\n"
       "etc d 0755 0:0\netc/passwd f 0644 0:0 =\"root\"\n"},
      {"whiteout_dir_recursive",
       {k_base},
       {marker(".wh.d")},
       "etc d 0755 0:0\netc/issue f 0644 0:0 =\"Debian\"\netc/passwd f 0644 0:0 =\"root\"\n"},
      {"whiteout_missing_is_fine",
       {k_base},
       {marker("etc/.wh.nothing"), marker("nodir/.wh.x"), marker("etc/passwd/.wh.x")},
       k_base_list},
      {"samewh_file_first_survives",
       {k_base},
       {file("etc/issue", "new"), marker("etc/.wh.issue")},
       "d d 0755 0:0\nd/a f 0644 0:0 =\"A\"\nd/sub d 0755 0:0\nd/sub/x f 0644 0:0 =\"X\"\n"
       "etc d 0755 0:0\netc/issue f 0644 0:0 =\"new\"\netc/passwd f 0644 0:0 =\"root\"\n"},
      {"whiteout_then_file",
       {k_base},
       {marker("etc/.wh.issue"), file("etc/issue", "new")},
       "d d 0755 0:0\nd/a f 0644 0:0 =\"A\"\nd/sub d 0755 0:0\nd/sub/x f 0644 0:0 =\"X\"\n"
       "etc d 0755 0:0\netc/issue f 0644 0:0 =\"new\"\netc/passwd f 0644 0:0 =\"root\"\n"},
      {"whiteout_dir_keeps_this_layers_children",
       {k_base},
       {file("d/sub/new", "N"), marker(".wh.d")},
       "d d 0755 0:0\nd/sub d 0755 0:0\nd/sub/new f 0644 0:0 =\"N\"\n"
       "etc d 0755 0:0\netc/issue f 0644 0:0 =\"Debian\"\netc/passwd f 0644 0:0 =\"root\"\n"},
      {"opaque_before_siblings",
       {k_base},
       {marker("d/.wh..wh..opq"), file("d/c", "C")},
       "d d 0755 0:0\nd/c f 0644 0:0 =\"C\"\n"
       "etc d 0755 0:0\netc/issue f 0644 0:0 =\"Debian\"\netc/passwd f 0644 0:0 =\"root\"\n"},
      {"opaque_after_siblings",
       {k_base},
       {dir("d"), file("d/c", "C"), file("d/sub/y", "Y"), marker("d/.wh..wh..opq")},
       "d d 0755 0:0\nd/c f 0644 0:0 =\"C\"\nd/sub d 0755 0:0\nd/sub/y f 0644 0:0 =\"Y\"\n"
       "etc d 0755 0:0\netc/issue f 0644 0:0 =\"Debian\"\netc/passwd f 0644 0:0 =\"root\"\n"},
      {"opaque_missing_dir_is_not_created", {k_base}, {marker("nodir/.wh..wh..opq")}, k_base_list},
      {"opaque_root",
       {k_base},
       {marker(".wh..wh..opq"), file("new", "n")},
       "new f 0644 0:0 =\"n\"\n"},
      {"duplicate_path_later_wins",
       {},
       {file("a", "one"), file("a", "two", 0600), symlink("b", "x"), dir("b", 0711)},
       "a f 0600 0:0 =\"two\"\nb d 0711 0:0\n"},
      {"entry_before_parent",
       {},
       {file("x/y/f", "F"), dir("x", 0700).owner(5, 6)},
       "x d 0700 5:6\nx/y d 0755 0:0\nx/y/f f 0644 0:0 =\"F\"\n"},
      {"dir_to_file_removes_subtree",
       {k_base},
       {file("d", "now a file")},
       "d f 0644 0:0 =\"now a file\"\n"
       "etc d 0755 0:0\netc/issue f 0644 0:0 =\"Debian\"\netc/passwd f 0644 0:0 =\"root\"\n"},
      {"file_to_dir_and_symlink_to_dir",
       {{dir("s"), file("f", "F"), symlink("l", "s")}},
       {dir("f", 0750), dir("l", 0700), file("l/in", "I")},
       "f d 0750 0:0\nl d 0700 0:0\nl/in f 0644 0:0 =\"I\"\ns d 0755 0:0\n"},
      {"dir_to_symlink_and_file_to_symlink",
       {k_base},
       {symlink("d", "etc"), symlink("etc/issue", "passwd")},
       "d l 0777 0:0 ->etc\netc d 0755 0:0\netc/issue l 0777 0:0 ->passwd\n"
       "etc/passwd f 0644 0:0 =\"root\"\n"},
      {"symlink_to_file", {{symlink("l", "x")}}, {file("l", "L")}, "l f 0644 0:0 =\"L\"\n"},
      {"umoci_typechange_whiteout_below_file",
       {k_base},
       {file("d/sub", "file now"), marker("d/sub/.wh.x")},
       "d d 0755 0:0\nd/a f 0644 0:0 =\"A\"\nd/sub f 0644 0:0 =\"file now\"\n"
       "etc d 0755 0:0\netc/issue f 0644 0:0 =\"Debian\"\netc/passwd f 0644 0:0 =\"root\"\n"},
      {"hardlink_to_lower_file",
       {k_base},
       {hardlink("x/link", "etc/passwd")},
       "d d 0755 0:0\nd/a f 0644 0:0 =\"A\"\nd/sub d 0755 0:0\nd/sub/x f 0644 0:0 =\"X\"\n"
       "etc d 0755 0:0\netc/issue f 0644 0:0 =\"Debian\"\n"
       "etc/passwd f 0644 0:0 =\"root\" hl=etc/passwd\n"
       "x d 0755 0:0\nx/link f 0644 0:0 =\"root\" hl=etc/passwd\n"},
      {"hardlink_to_symlink_links_the_symlink",
       {},
       {symlink("s", "target"), hardlink("h", "./s")},
       "h l 0777 0:0 ->target hl=h\ns l 0777 0:0 ->target hl=h\n"},
      {"replacing_breaks_lower_hardlink",
       {{file("a", "old"), hardlink("b", "a")}},
       {file("a", "new")},
       "a f 0644 0:0 =\"new\"\nb f 0644 0:0 =\"old\"\n"},
      {"write_through_relative_symlinks_in_root",
       {{dir("etc"), dir("x"), symlink("rel", "etc"), symlink("x/up", "../etc")}},
       {file("rel/one", "1"), file("x/up/two", "2"), marker("rel/.wh.gone")},
       "etc d 0755 0:0\netc/one f 0644 0:0 =\"1\"\netc/two f 0644 0:0 =\"2\"\n"
       "rel l 0777 0:0 ->etc\nx d 0755 0:0\nx/up l 0777 0:0 ->../etc\n"},
      {"whiteout_through_symlink_parent",
       {k_base, {symlink("e", "etc")}},
       {marker("e/.wh.passwd")},
       "d d 0755 0:0\nd/a f 0644 0:0 =\"A\"\nd/sub d 0755 0:0\nd/sub/x f 0644 0:0 =\"X\"\n"
       "e l 0777 0:0 ->etc\netc d 0755 0:0\netc/issue f 0644 0:0 =\"Debian\"\n"},
      // Like umoci and docker: an absolute symlink on the way resolves from
      // the rootfs's own root when its target is there.
      {"absolute_symlink_parent_lands_inside",
       {k_base, {symlink("a", "/etc"), symlink("x", "/d/sub")}},
       {file("a/new", "N"), file("a/made/f", "F"), file("x/y", "Y"), marker("a/.wh.passwd")},
       "a l 0777 0:0 ->/etc\nd d 0755 0:0\nd/a f 0644 0:0 =\"A\"\nd/sub d 0755 0:0\n"
       "d/sub/x f 0644 0:0 =\"X\"\nd/sub/y f 0644 0:0 =\"Y\"\netc d 0755 0:0\n"
       "etc/issue f 0644 0:0 =\"Debian\"\netc/made d 0755 0:0\netc/made/f f 0644 0:0 =\"F\"\n"
       "etc/new f 0644 0:0 =\"N\"\nx l 0777 0:0 ->/d/sub\n"},
      {"hardlink_through_absolute_symlink",
       {k_base, {symlink("e", "/etc")}},
       {hardlink("h", "e/issue")},
       "d d 0755 0:0\nd/a f 0644 0:0 =\"A\"\nd/sub d 0755 0:0\nd/sub/x f 0644 0:0 =\"X\"\n"
       "e l 0777 0:0 ->/etc\netc d 0755 0:0\netc/issue f 0644 0:0 =\"Debian\" hl=etc/issue\n"
       "etc/passwd f 0644 0:0 =\"root\"\nh f 0644 0:0 =\"Debian\" hl=etc/issue\n"},
      {"dangling_symlink_parent_created_inside",
       {{symlink("l", "made/here")}},
       {file("l/f", "F")},
       "l l 0777 0:0 ->made/here\nmade d 0755 0:0\nmade/here d 0755 0:0\n"
       "made/here/f f 0644 0:0 =\"F\"\n"},
      {"path_normalization",
       {},
       {file("./a", "1"), file("/b", "2"), file("c//d/./e", "3"), file("c/../f", "4")},
       "a f 0644 0:0 =\"1\"\nb f 0644 0:0 =\"2\"\nc d 0755 0:0\nc/d d 0755 0:0\n"
       "c/d/e f 0644 0:0 =\"3\"\nf f 0644 0:0 =\"4\"\n"},
      {"dir_updated_in_place_resets_xattrs",
       {{dir("x", 0700).xattr("user.old", "1").xattr("user.keep", "k"), file("x/child", "c")}},
       {dir("x", 0755).owner(7, 8).xattr("user.keep", "K").xattr("user.new", "2")},
       "x d 0755 7:8 x:user.keep=K x:user.new=2\nx/child f 0644 0:0 =\"c\"\n"},
      {"xattrs_on_file_symlink_device",
       {},
       {file("f", "").xattr("user.a", std::string("b\0in", 4)).xattr("trusted.t", "T"),
        symlink("l", "f").xattr("trusted.s", "S"), fifo("p").xattr("trusted.p", "P")},
       std::string("f f 0644 0:0 =\"\" x:trusted.t=T x:user.a=b\0in", 44) + "\n" +
           "l l 0777 0:0 ->f x:trusted.s=S\np p 0644 0:0 x:trusted.p=P\n"},
  };
}

void PrintTo(const ApplyCase& c, std::ostream* os) {
  *os << c.name;
}

}  // namespace cairn::testing
