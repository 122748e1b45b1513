#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/sys.h"
#include "util/temp_dir.h"

namespace cairn {
namespace {

// A chain of DEPTH directories named "d" below DIR, with a file and a
// symlink in each; made with openat, so its paths may exceed PATH_MAX.
void make_deep_tree(const std::string& dir, int depth) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  for (int i = 0; i < depth; ++i) {
    ASSERT_EQ(::mkdirat(fd, "d", 0755), 0);
    int file = ::openat(fd, "f", O_WRONLY | O_CREAT, 0644);
    ASSERT_GE(file, 0);
    ::close(file);
    ASSERT_EQ(::symlinkat("/etc/passwd", fd, "l"), 0);
    int child = ::openat(fd, "d", O_RDONLY | O_DIRECTORY);
    ASSERT_GE(child, 0);
    ::close(fd);
    fd = child;
  }
  ::close(fd);
}

TEST(RemoveTree, RemovesATreeDeeperThanPathMax) {
  auto tmp = TempDir::create("/tmp", "remove-tree-");
  ASSERT_TRUE(tmp) << tmp.error().message();
  const std::string root = tmp->path() + "/tree";
  ASSERT_EQ(::mkdir(root.c_str(), 0755), 0);
  make_deep_tree(root, 3000);  // "d/" * 3000 = 6000 bytes of path
  auto removed = sys::remove_tree(root);
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_FALSE(*sys::exists(root));
}

TEST(RemoveTree, LeavesWhatSymlinksPointAtAndAcceptsMissingPaths) {
  auto tmp = TempDir::create("/tmp", "remove-tree-");
  ASSERT_TRUE(tmp) << tmp.error().message();
  const std::string kept = tmp->path() + "/kept";
  ASSERT_EQ(::mkdir(kept.c_str(), 0755), 0);
  ASSERT_TRUE(sys::write_file_atomic(kept + "/file", "x"));
  const std::string root = tmp->path() + "/tree";
  ASSERT_EQ(::mkdir(root.c_str(), 0755), 0);
  ASSERT_EQ(::symlink(kept.c_str(), (root + "/link").c_str()), 0);
  ASSERT_TRUE(sys::remove_tree(root));
  EXPECT_FALSE(*sys::exists(root));
  EXPECT_TRUE(*sys::exists(kept + "/file"));
  EXPECT_TRUE(sys::remove_tree(root));            // already gone
  ASSERT_TRUE(sys::remove_tree(kept + "/file"));  // a file is removed too
  EXPECT_FALSE(*sys::exists(kept + "/file"));
}

}  // namespace
}  // namespace cairn
