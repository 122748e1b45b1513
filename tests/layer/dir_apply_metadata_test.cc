// DirApplier metadata and content details: sparse files, special mode bits
// after chown, security.capability, and times (directories last).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "layer/dir_apply.h"
#include "support/entry_fixtures.h"
#include "util/sys.h"
#include "util/temp_dir.h"

namespace cairn {
namespace {

using testing::dir;
using testing::file;
using testing::Layer;

class DirApplyMetadata : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (chown, security.capability)";
    auto tmp = TempDir::create("/tmp", "cairn-meta-");
    ASSERT_TRUE(tmp);
    m_tmp.emplace(std::move(*tmp));
  }

  void apply(const Layer& layer) {
    auto applier = DirApplier::open(root());
    ASSERT_TRUE(applier) << applier.error().message();
    auto applied = testing::apply_layer(**applier, layer);
    ASSERT_TRUE(applied) << applied.error().message();
  }

  struct stat lstat_of(const std::string& rel) {
    auto st = sys::lstat(root() + "/" + rel);
    EXPECT_TRUE(st) << rel;
    struct stat empty {};
    return st ? *st : empty;
  }

  std::string read_range(const std::string& rel, off_t offset, size_t len) {
    auto fd = sys::open(root() + "/" + rel, O_RDONLY);
    EXPECT_TRUE(fd);
    std::string buf(len, '\0');
    auto n = sys::pread_full(fd->get(), std::as_writable_bytes(std::span(buf)), offset, rel);
    EXPECT_TRUE(n);
    buf.resize(n ? *n : 0);
    return buf;
  }

  const std::string& root() const { return m_tmp->path(); }

  std::optional<TempDir> m_tmp;
};

TEST_F(DirApplyMetadata, SparseFilesStaySparse) {
  constexpr std::uint64_t k_mib = 1 << 20;
  apply({testing::sparse_file("big", 64 * k_mib,
                              {{0, "head"}, {32 * k_mib, "middle"}, {64 * k_mib - 4, "tail"}}),
         testing::sparse_file("holes", 16 * k_mib, {})});
  struct stat big = lstat_of("big");
  EXPECT_EQ(big.st_size, static_cast<off_t>(64 * k_mib));
  EXPECT_LT(big.st_blocks * 512, static_cast<blkcnt_t>(k_mib));
  EXPECT_EQ(read_range("big", 0, 6), std::string("head\0\0", 6));
  EXPECT_EQ(read_range("big", 32 * k_mib - 1, 8), std::string("\0middle\0", 8));
  EXPECT_EQ(read_range("big", 64 * k_mib - 6, 10), std::string("\0\0tail", 6));
  struct stat holes = lstat_of("holes");
  EXPECT_EQ(holes.st_size, static_cast<off_t>(16 * k_mib));
  EXPECT_EQ(holes.st_blocks, 0);
}

TEST_F(DirApplyMetadata, ManySmallAndLargeBlocksKeepTheirContent) {
  std::string want;
  testing::FixtureEntry many = testing::sparse_file("many", 0, {});
  for (int i = 0; i < 3000; ++i) {
    std::string block(1000 + i % 7, static_cast<char>('a' + i % 26));
    if (i == 1500) want.resize(want.size() + 5000, '\0');
    many.blocks.emplace_back(want.size(), block);
    want += block;
  }
  many.entry.size = want.size();
  std::string large(3 << 20, 'L');
  large[12345] = 'x';
  apply({many, file("large", large)});
  EXPECT_EQ(read_range("many", 0, want.size() + 10), want);
  EXPECT_EQ(read_range("large", 0, large.size() + 10), large);
}

TEST_F(DirApplyMetadata, SpecialModeBitsSurviveChown) {
  apply({file("suid", "x", 04755).owner(1000, 1000), file("sgid", "x", 02711).owner(0, 50),
         dir("sticky", 01777).owner(3000000, 3000000), dir("sgid-dir", 02775).owner(65534, 65534),
         file("none", "x", 0000)});
  EXPECT_EQ(lstat_of("suid").st_mode & 07777, 04755u);
  EXPECT_EQ(lstat_of("suid").st_uid, 1000u);
  EXPECT_EQ(lstat_of("sgid").st_mode & 07777, 02711u);
  EXPECT_EQ(lstat_of("sticky").st_mode & 07777, 01777u);
  EXPECT_EQ(lstat_of("sticky").st_uid, 3000000u);
  EXPECT_EQ(lstat_of("sgid-dir").st_mode & 07777, 02775u);
  EXPECT_EQ(lstat_of("none").st_mode & 07777, 0u);
}

TEST_F(DirApplyMetadata, SecurityCapabilitySurvivesChown) {
  // VFS_CAP_REVISION_2 | effective, permitted = CAP_NET_BIND_SERVICE.
  const std::string cap(
      "\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00"
      "\x00\x00\x00\x00\x00\x00\x00\x00",
      20);
  apply({file("ping", "x", 04755).owner(1000, 1000).xattr("security.capability", cap)});
  std::string got(64, '\0');
  ssize_t n =
      ::lgetxattr((root() + "/ping").c_str(), "security.capability", got.data(), got.size());
  ASSERT_GE(n, 0) << "security.capability missing";
  got.resize(static_cast<size_t>(n));
  EXPECT_EQ(got, cap);
  EXPECT_EQ(lstat_of("ping").st_mode & 07777, 04755u);
}

TEST_F(DirApplyMetadata, HostXattrsAreNeverSet) {
  apply({file("f", "x").xattr("security.selinux", "system_u:object_r:etc_t:s0")});
  EXPECT_EQ(testing::list_tree(root()), "f f 0644 0:0 =\"x\"\n");
}

TEST_F(DirApplyMetadata, DirectoryTimesAreSetAfterTheirChildren) {
  apply({dir("p").mtime(500), dir("p/keep").mtime(600)});
  apply({dir("d").mtime(1000, 7), file("d/f").mtime(2000), dir("d/e").mtime(3000),
         file("d/e/g").mtime(-1000), testing::symlink("d/l", "f").mtime(1234, 5678),
         file("p/new").mtime(4000), testing::marker("p/.wh.keep"), dir("./", 0700).mtime(42)});
  EXPECT_EQ(lstat_of("d").st_mtim.tv_sec, 1000);
  EXPECT_EQ(lstat_of("d").st_mtim.tv_nsec, 7);
  EXPECT_EQ(lstat_of("d/e").st_mtim.tv_sec, 3000);
  EXPECT_EQ(lstat_of("d/f").st_mtim.tv_sec, 2000);
  EXPECT_EQ(lstat_of("d/e/g").st_mtim.tv_sec, -1000);
  EXPECT_EQ(lstat_of("d/l").st_mtim.tv_sec, 1234);
  EXPECT_EQ(lstat_of("d/l").st_mtim.tv_nsec, 5678);
  EXPECT_EQ(lstat_of("p").st_mtim.tv_sec, 500) << "a lower parent keeps its time";
  auto root_st = sys::lstat(root());
  ASSERT_TRUE(root_st);
  EXPECT_EQ(root_st->st_mtim.tv_sec, 42);
  EXPECT_EQ(root_st->st_mode & 07777, 0700u);
}

}  // namespace
}  // namespace cairn
