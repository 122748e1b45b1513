// The composefs merge against the same table as the dir applier
// (tests/support/apply_cases.cc): each case is ingested into layer indexes,
// merged, and listed twice: from the in-memory tree, and (as root) from a
// real read-only composefs mount of the written image.
#include "backend/composefs/merge.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>

#include "backend/composefs/index_sink.h"
#include "backend/composefs/mount.h"
#include "erofs/writer.h"
#include "support/apply_cases.h"
#include "util/sys.h"
#include "util/temp_dir.h"

namespace cairn::composefs {
namespace {

using cairn::testing::ApplyCase;
using cairn::testing::Layer;

std::string octal(std::uint32_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", mode);
  return buf;
}

char type_char(std::uint32_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return 'f';
    case S_IFDIR: return 'd';
    case S_IFLNK: return 'l';
    case S_IFCHR: return 'c';
    case S_IFBLK: return 'b';
    case S_IFIFO: return 'p';
    default: return 's';
  }
}

// list_tree()'s format, from a Tree and the object store it refers to.
class TreeLister {
 public:
  TreeLister(const erofs::Tree& tree, const ObjectStore& objects)
      : m_tree(tree), m_objects(objects) {}

  std::string list() {
    walk(m_tree.root(), "");
    std::sort(m_paths.begin(), m_paths.end());
    std::map<erofs::InodeId, std::string> first;
    std::string out;
    for (const auto& [path, id] : m_paths) {
      const erofs::Inode& inode = m_tree.inode(id);
      out += path + describe(inode);
      if (!S_ISDIR(inode.mode) && inode.nlink > 1)
        out += " hl=" + first.try_emplace(id, path).first->second;
      out += "\n";
    }
    return out;
  }

 private:
  void walk(erofs::InodeId dir, const std::string& rel) {
    for (const auto& [name, entry] : m_tree.children(dir)) {
      std::string path = rel.empty() ? name : rel + "/" + name;
      m_paths.emplace_back(path, entry.inode);
      if (S_ISDIR(m_tree.inode(entry.inode).mode)) walk(entry.inode, path);
    }
  }

  std::string content(const erofs::Inode& inode) const {
    if (inode.size > 64) return " size=" + std::to_string(inode.size);
    if (inode.content) return " =\"" + *inode.content + "\"";
    auto stored = sys::read_file(m_objects.dir() + "/" + inode.payload);
    return " =\"" + (stored ? *stored : std::string("<missing object>")) + "\"";
  }

  std::string describe(const erofs::Inode& inode) const {
    std::string line = std::string(" ") + type_char(inode.mode) + " " + octal(inode.mode & 07777) +
                       " " + std::to_string(inode.uid) + ":" + std::to_string(inode.gid);
    if (S_ISREG(inode.mode)) line += content(inode);
    if (S_ISLNK(inode.mode)) line += " ->" + inode.payload;
    if (S_ISCHR(inode.mode) || S_ISBLK(inode.mode)) {
      line += " dev=" + std::to_string(major(inode.rdev)) + "," + std::to_string(minor(inode.rdev));
    }
    std::vector<std::string> xattrs;
    for (const auto& [name, value] : inode.xattrs) xattrs.push_back(" x:" + name + "=" + value);
    std::sort(xattrs.begin(), xattrs.end());
    for (const std::string& x : xattrs) line += x;
    return line;
  }

  const erofs::Tree& m_tree;
  const ObjectStore& m_objects;
  std::vector<std::pair<std::string, erofs::InodeId>> m_paths;
};

struct Merged {
  TempDir tmp = *TempDir::create("/var/tmp", "cairn-cfs-merge-");
  ObjectStore objects{tmp.path() + "/objects"};
  std::optional<erofs::Tree> tree;
  std::vector<erofs::Tree> layer_trees;  // per-layer images, bottom first
};

Result<void> merge_case(const ApplyCase& c, Merged& out) {
  TRY(sys::make_dirs(out.objects.dir()));
  std::vector<Layer> layers = c.lowers;
  layers.push_back(c.layer);
  Merger merger;
  for (size_t i = 0; i < layers.size(); ++i) {
    std::string staging = out.tmp.path() + "/staging-" + std::to_string(i);
    TRY(sys::make_dirs(staging));
    IndexSink sink(out.objects, staging);
    TRY(cairn::testing::apply_layer(sink, layers[i]));
    TRY(sink.publish());
    Merger lower = merger.clone();
    ASSIGN_OR_RETURN(std::string index, sys::read_file(sink.staged_index()));
    TRY(merger.apply_text(index));
    ASSIGN_OR_RETURN(erofs::Tree layer_tree, merger.build_layer_tree(lower));
    out.layer_trees.push_back(std::move(layer_tree));
  }
  ASSIGN_OR_RETURN(out.tree, merger.build_tree());
  return {};
}

// Cases beyond the shared table: content in the object store.
std::vector<ApplyCase> composefs_cases() {
  using namespace cairn::testing;
  std::string big(100, 'B');
  return {
      {"objects_and_hardlinks_across_layers",
       {{file("a", big), file("small", "s")}},
       {hardlink("b", "a"), file("c", big, 0600), sparse_file("sp", 70, {{66, "end"}})},
       "a f 0644 0:0 size=100 hl=a\nb f 0644 0:0 size=100 hl=a\nc f 0600 0:0 size=100\n"
       "small f 0644 0:0 =\"s\"\nsp f 0644 0:0 size=70\n"},
      {"dangling_absolute_symlink_parent_is_refused",
       {{symlink("a", "/etc")}},
       {file("a/x", "")},
       ""},
  };
}

class MergeCase : public ::testing::TestWithParam<ApplyCase> {};

TEST_P(MergeCase, TreeListsLikeTheDirApplier) {
  const ApplyCase& c = GetParam();
  Merged merged;
  auto result = merge_case(c, merged);
  if (c.want.empty()) {
    ASSERT_FALSE(result);
    EXPECT_TRUE(result.error().is(Errc::unsafe_path)) << result.error().message();
    return;
  }
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(TreeLister(*merged.tree, merged.objects).list(), c.want);
}

// Unmounts on scope exit.
struct MountGuard {
  std::string path;
  ~MountGuard() {
    if (!path.empty()) (void)unmount_path(path);
  }
};

Result<UniqueFd> mount_image(const erofs::Tree& tree, const std::string& path,
                             const ObjectStore& objects, Attach attach, const std::string& target) {
  {
    ASSIGN_OR_RETURN(UniqueFd fd, sys::open(path, O_WRONLY | O_CREAT | O_EXCL, 0644));
    erofs::FdImageSink sink(fd.get(), path);
    TRY(erofs::write_composefs_image(tree, {}, sink));
  }
  ASSIGN_OR_RETURN(UniqueFd erofs, mount_erofs(path));
  return mount_overlay({erofs.get()}, objects.dir(), attach, target);
}

// Mounts only what merges: refused cases are covered by the tree test.
class MountCase : public ::testing::TestWithParam<ApplyCase> {};

TEST_P(MountCase, FlatMountListsLikeTheDirApplier) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (erofs and overlay mounts)";
  const ApplyCase& c = GetParam();
  Merged merged;
  auto result = merge_case(c, merged);
  ASSERT_TRUE(result) << result.error().message();
  std::string target = merged.tmp.path() + "/mnt";
  ASSERT_TRUE(sys::make_dirs(target));
  auto mounted = mount_image(*merged.tree, merged.tmp.path() + "/image.cfs", merged.objects,
                             Attach::at_target, target);
  ASSERT_TRUE(mounted) << mounted.error().message();
  MountGuard guard{target};
  EXPECT_EQ(cairn::testing::list_tree(target), c.want);
}

// Without the trusted.overlay.* xattrs (the per-layer stack shows the markers
// of directories that hold whiteouts to privileged readers).
std::string without_overlay_xattrs(std::string listing) {
  for (size_t at; (at = listing.find(" x:trusted.overlay.")) != std::string::npos;) {
    listing.erase(at, listing.find_first_of(" \n", at + 1) - at);
  }
  return listing;
}

// Per-layer images stacked as nested overlays.
TEST_P(MountCase, PerLayerMountListsLikeTheDirApplier) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (erofs and overlay mounts)";
  const ApplyCase& c = GetParam();
  Merged merged;
  auto result = merge_case(c, merged);
  ASSERT_TRUE(result) << result.error().message();
  std::vector<UniqueFd> layers;
  std::vector<int> lowers;
  for (size_t i = merged.layer_trees.size(); i-- > 0;) {
    std::string path = merged.tmp.path() + "/layer-" + std::to_string(i) + ".cfs";
    auto layer = mount_image(merged.layer_trees[i], path, merged.objects, Attach::detached, "");
    ASSERT_TRUE(layer) << layer.error().message();
    lowers.push_back(layer->get());
    layers.push_back(std::move(*layer));
  }
  std::string target = merged.tmp.path() + "/mnt";
  ASSERT_TRUE(sys::make_dirs(target));
  if (lowers.size() == 1) {
    ASSERT_TRUE(mount_image(merged.layer_trees[0], merged.tmp.path() + "/single.cfs",
                            merged.objects, Attach::at_target, target));
  } else {
    auto overlay = mount_overlay(lowers, "", Attach::at_target, target);
    ASSERT_TRUE(overlay) << overlay.error().message();
  }
  MountGuard guard{target};
  EXPECT_EQ(without_overlay_xattrs(cairn::testing::list_tree(target)), c.want);
}

std::vector<ApplyCase> all_cases() {
  std::vector<ApplyCase> cases = cairn::testing::apply_cases();
  for (ApplyCase& c : composefs_cases()) cases.push_back(std::move(c));
  return cases;
}

std::vector<ApplyCase> mountable_cases() {
  std::vector<ApplyCase> cases;
  for (ApplyCase& c : all_cases()) {
    if (!c.want.empty()) cases.push_back(std::move(c));
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Layers, MergeCase, ::testing::ValuesIn(all_cases()),
                         [](const auto& param_info) { return param_info.param.name; });
INSTANTIATE_TEST_SUITE_P(Layers, MountCase, ::testing::ValuesIn(mountable_cases()),
                         [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace cairn::composefs
