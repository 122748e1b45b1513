// Hostile layers against DirApplier: whatever they try, nothing outside the
// rootfs changes, and anything that reaches for the outside is refused. Each case runs on a fresh
// rootfs next to a canary tree;
// "@C" in a path stands for the canary's absolute path, "@U" for enough
// "../" to climb from the rootfs to "/".
#include <gtest/gtest.h>
#include <unistd.h>

#include <sstream>

#include "layer/dir_apply.h"
#include "support/entry_fixtures.h"
#include "util/sys.h"
#include "util/temp_dir.h"

namespace cairn {
namespace {

using testing::Layer;

enum class Outcome { applied, refused };

struct EvilCase {
  std::string name;
  Layer layer;
  Outcome outcome;
  std::string inside;  // a path that must exist in the rootfs afterwards ("" = none)
};

void PrintTo(const EvilCase& c, std::ostream* os) {
  *os << c.name;
}

std::vector<EvilCase> evil_cases() {
  using testing::file;
  using testing::hardlink;
  using testing::marker;
  using testing::symlink;
  return {
      {"dotdot_file", {file("../../../../@C/x", "PWNED")}, Outcome::refused, ""},
      {"absolute_dotdot_file", {file("/../@C/y", "PWNED")}, Outcome::refused, ""},
      {"deep_dotdot_file", {file("@U@U@C/z", "PWNED")}, Outcome::refused, ""},
      {"inner_dotdot_file", {file("a/../b", "fine")}, Outcome::applied, "b"},
      {"abs_symlink_then_write",
       {symlink("evil/link", "@C"), file("evil/link/pwned", "PWNED")},
       Outcome::refused,
       ""},
      {"rel_symlink_then_write",
       {symlink("evil/rel", "@U@C"), file("evil/rel/pwned", "PWNED")},
       Outcome::refused,
       ""},
      {"symlink_chain_then_write",
       {symlink("r", ".."), file("r/r/r@C/chain", "PWNED")},
       Outcome::refused,
       ""},
      {"symlink_to_existing_dir_outside_then_mkdir",
       {symlink("s", "@C"), testing::dir("s/sub", 0777)},
       Outcome::refused,
       ""},
      // An absolute symlink resolves from the rootfs's root, never the host's.
      {"abs_symlink_to_inside_dir_writes_inside",
       {testing::dir("etc", 0755), symlink("l", "/etc"), file("l/x", "X")},
       Outcome::applied,
       "etc/x"},
      {"dangling_abs_symlink_then_write",
       {symlink("d", "/nonexistent"), file("d/x", "X")},
       Outcome::refused,
       ""},
      {"hardlink_absolute", {hardlink("evil/hl-abs", "@C/file")}, Outcome::refused, ""},
      {"hardlink_dotdot", {hardlink("evil/hl-dotdot", "@U@C/file")}, Outcome::refused, ""},
      {"hardlink_through_symlink",
       {symlink("s", "@U"), hardlink("h", "s@C/file")},
       Outcome::refused,
       ""},
      {"whiteout_climbing_out", {marker("evil/@U@C/.wh.victim")}, Outcome::refused, ""},
      // Whiteouts only remove, and are confined to the root like umoci does.
      {"whiteout_through_symlink",
       {symlink("w", "@C"), marker("w/.wh.victim")},
       Outcome::applied,
       "w"},
      {"whiteout_of_symlink_target_dir",
       {symlink("w", "@U@C"), marker(".wh.w")},
       Outcome::applied,
       ""},
      {"opaque_through_symlink",
       {symlink("o", "@U@C"), marker("o/.wh..wh..opq")},
       Outcome::applied,
       "o"},
      {"write_after_whiteout_through_symlink",
       {symlink("w", "@C"), marker("w/.wh.victim"), file("w/pwned", "PWNED")},
       Outcome::refused,
       ""},
      {"whiteout_dotdot_name", {marker("evil/.wh...")}, Outcome::refused, ""},
      {"whiteout_dot_name", {marker(".wh..")}, Outcome::refused, ""},
      {"symlink_loop_in_parents",
       {symlink("a", "b"), symlink("b", "a"), file("a/x", "X")},
       Outcome::refused,
       ""},
      {"root_becomes_symlink", {symlink("./", "@C")}, Outcome::refused, ""},
      {"root_becomes_file", {file("/", "X")}, Outcome::refused, ""},
      {"file_replaces_symlink_to_outside_file",
       {symlink("l", "@U@C/file"), file("l", "PWNED")},
       Outcome::applied,
       "l"},
      {"dir_replaces_symlink_to_outside_dir",
       {symlink("d", "@U@C"), testing::dir("d", 0777), file("d/f", "X")},
       Outcome::applied,
       "d/f"},
      {"nul_in_path", {file(std::string("a\0/../../x", 10), "X")}, Outcome::refused, ""},
      {"nul_in_symlink_target", {symlink("l", std::string("a\0b", 3))}, Outcome::refused, ""},
  };
}

std::string substitute(std::string s, const std::string& canary, const std::string& up) {
  for (auto [key, value] : {std::pair<std::string, std::string>{"@C", canary}, {"@U", up}}) {
    for (size_t pos; (pos = s.find(key)) != std::string::npos;) s.replace(pos, key.size(), value);
  }
  return s;
}

// The listing of everything under TMP but the rootfs a/b/root.
std::string outside_root(const std::string& tmp) {
  std::istringstream in(testing::list_tree(tmp));
  std::string out;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("a/b/root ") || line.starts_with("a/b/root/")) continue;
    out += line + "\n";
  }
  return out;
}

class DirApplyEvil : public ::testing::TestWithParam<EvilCase> {};

TEST_P(DirApplyEvil, NeverTouchesAnythingOutsideTheRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (chown of created entries)";
  const EvilCase& c = GetParam();
  auto tmp = TempDir::create("/tmp", "cairn-evil-");
  ASSERT_TRUE(tmp);
  std::string canary = tmp->path() + "/canary";
  std::string root = tmp->path() + "/a/b/root";
  ASSERT_TRUE(sys::make_dirs(canary + "/sub"));
  ASSERT_TRUE(sys::make_dirs(root));
  ASSERT_TRUE(sys::write_file_atomic(canary + "/file", "canary\n"));
  ASSERT_TRUE(sys::write_file_atomic(canary + "/victim", "victim\n"));
  std::string before = testing::list_tree(canary);
  std::string outside_before = outside_root(tmp->path());
  std::string up;
  for (int i = 0; i < 12; ++i) up += "../";

  Layer layer = c.layer;
  for (auto& e : layer) {
    e.entry.path = substitute(e.entry.path, canary, up);
    e.entry.link_target = substitute(e.entry.link_target, canary, up);
  }
  auto applier = DirApplier::open(root);
  ASSERT_TRUE(applier) << applier.error().message();
  auto applied = testing::apply_layer(**applier, layer);
  if (c.outcome == Outcome::applied) {
    EXPECT_TRUE(applied) << applied.error().message();
  } else {
    EXPECT_FALSE(applied);
  }
  EXPECT_EQ(testing::list_tree(canary), before);
  EXPECT_EQ(outside_root(tmp->path()), outside_before);
  if (!c.inside.empty()) {
    auto exists = sys::exists(root + "/" + substitute(c.inside, canary, up));
    ASSERT_TRUE(exists);
    EXPECT_TRUE(*exists) << c.inside;
  }
}

INSTANTIATE_TEST_SUITE_P(Layers, DirApplyEvil, ::testing::ValuesIn(evil_cases()),
                         [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace cairn
