#include "backend/tree_bytes.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/sys.h"
#include "util/temp_dir.h"

namespace cairn {
namespace {

TEST(TreeBytes, CountsFilesOncePerInodeAndSymlinkTargets) {
  auto dir = TempDir::create("/tmp", "tree-bytes-");
  ASSERT_TRUE(dir);
  const std::string root = dir->path();
  ASSERT_TRUE(sys::make_dirs(root + "/a/b"));
  ASSERT_TRUE(sys::write_file_atomic(root + "/a/b/f", std::string(1000, 'x')));
  ASSERT_TRUE(sys::write_file_atomic(root + "/g", std::string(24, 'y')));
  ASSERT_EQ(::link((root + "/a/b/f").c_str(), (root + "/a/hard").c_str()), 0);
  ASSERT_EQ(::symlink("a/b/f", (root + "/link").c_str()), 0);
  ASSERT_EQ(::mkfifo((root + "/fifo").c_str(), 0600), 0);
  auto bytes = tree_bytes(root);
  ASSERT_TRUE(bytes) << bytes.error().message();
  EXPECT_EQ(*bytes, 1000u + 24u + 5u);
}

TEST(TreeBytes, MissingRootFails) {
  EXPECT_FALSE(tree_bytes("/nonexistent/cairn-tree-bytes"));
}

}  // namespace
}  // namespace cairn
