// The btrfs backend on a real btrfs: a sparse file, mkfs.btrfs and a loop
// mount per test suite. Skips without root, btrfs-progs or kernel btrfs.
#include "backend/btrfs/btrfs_backend.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "backend/btrfs/btrfs_subvol.h"
#include "support/temp_dir_test.h"
#include "util/command.h"
#include "util/sys.h"
#include "util/temp_dir.h"

namespace cairn {
namespace {

bool kernel_has_btrfs() {
  std::ifstream in("/proc/filesystems");
  std::string line;
  while (std::getline(in, line)) {
    if (line.ends_with("\tbtrfs")) return true;
  }
  return false;
}

class BtrfsBackendTest : public testing::TempDirTest {
 protected:
  BtrfsBackendTest() : TempDirTest("/var/tmp") {}
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "loop mounts and snapshots need root";
    if (!kernel_has_btrfs()) GTEST_SKIP() << "the kernel lacks btrfs";
    auto which = run_command({"sh", "-c", "command -v mkfs.btrfs"});
    if (!which || which->exit_status != 0) GTEST_SKIP() << "mkfs.btrfs (btrfs-progs) is missing";
    TempDirTest::SetUp();
    if (HasFatalFailure()) return;
    std::string image = path("fs.img");
    m_mnt = path("mnt");
    ASSERT_TRUE(run_checked({"truncate", "-s", "256M", image}));
    ASSERT_TRUE(run_checked({"mkfs.btrfs", "-q", image}));
    ASSERT_TRUE(sys::make_dirs(m_mnt));
    auto mounted = run_checked({"mount", "-o", "loop", image, m_mnt});
    ASSERT_TRUE(mounted) << mounted.error().message();
    m_mounted = true;
    ASSERT_TRUE(sys::make_dirs(m_mnt + "/store"));
    auto backend = BtrfsBackend::open(m_mnt + "/store");
    ASSERT_TRUE(backend) << backend.error().message();
    m_backend = std::move(*backend);
  }
  void TearDown() override {
    m_backend.reset();
    if (m_mounted) (void)run_checked({"umount", m_mnt});
  }

  static std::vector<ChainLink> chain(std::initializer_list<const char*> names) {
    std::vector<ChainLink> links;
    std::string acc;
    for (const char* name : names) {
      acc += name;
      links.push_back({Digest::of(name), Digest::of(acc)});
    }
    return links;
  }
  // Imports CHAIN with empty layers; returns the first layer it needed (a
  // suffix is needed: chain backends build on the published prefix).
  size_t build(const std::vector<ChainLink>& links) {
    auto b = m_backend->begin_build(links);
    EXPECT_TRUE(b) << b.error().message();
    if (!b) return 0;
    size_t first = 0;
    while (first < links.size() && !(*b)->needs_layer(first)) ++first;
    for (size_t i = first; i < links.size(); ++i) {
      EXPECT_TRUE((*b)->needs_layer(i)) << i;
      auto sink = (*b)->begin_layer(i);
      EXPECT_TRUE(sink) << sink.error().message();
      EXPECT_TRUE((*sink)->finish());
      auto committed = (*b)->commit_layer(i);
      EXPECT_TRUE(committed) << committed.error().message();
    }
    EXPECT_TRUE((*b)->finish());
    return first;
  }
  size_t layer_count() {
    size_t n = 0;
    for (const auto& name : {"a", "ab", "abc", "ax"}) {
      if (*sys::exists(m_mnt + "/store/btrfs/layers/" + std::string(Digest::of(name).hex()))) ++n;
    }
    return n;
  }

  std::string m_mnt;
  bool m_mounted = false;
  std::unique_ptr<BtrfsBackend> m_backend;
};

TEST_F(BtrfsBackendTest, SharedBaseIsBuiltOnceAndLayersAreReadOnly) {
  EXPECT_EQ(build(chain({"a", "b", "c"})), 0u);
  EXPECT_EQ(build(chain({"a", "x"})), 1u);
  EXPECT_EQ(build(chain({"a", "b", "c"})), 3u);
  EXPECT_EQ(layer_count(), 4u);
  auto path = m_backend->rootfs_path(chain({"a", "x"}).back().chain_id);
  ASSERT_TRUE(path) << path.error().message();
  auto fd = sys::open(*path, O_RDONLY | O_DIRECTORY);
  ASSERT_TRUE(fd);
  auto info = btrfs::info(fd->get());
  ASSERT_TRUE(info) << info.error().message();
  EXPECT_TRUE(info->read_only);
  EXPECT_FALSE(sys::write_file_atomic(*path + "/f", "x"));
}

TEST_F(BtrfsBackendTest, AbandonedAndCrashedBuildsLeaveNothing) {
  {
    auto b = m_backend->begin_build(chain({"a"}));
    ASSERT_TRUE(b);
    ASSERT_TRUE((*b)->begin_layer(0));
  }
  auto fd = sys::open(m_mnt + "/store/btrfs/layers", O_RDONLY | O_DIRECTORY);
  ASSERT_TRUE(fd);
  ASSERT_TRUE(btrfs::create_subvolume(fd->get(), ".tmp-crashed.1.x"));
  ASSERT_TRUE(m_backend->recover());
  EXPECT_FALSE(*sys::exists(m_mnt + "/store/btrfs/layers/.tmp-crashed.1.x"));
  EXPECT_EQ(layer_count(), 0u);
  EXPECT_FALSE(*m_backend->has_image(chain({"a"}).back().chain_id));
}

TEST_F(BtrfsBackendTest, CollectKeepsAncestorsOfKeptChains) {
  build(chain({"a", "b", "c"}));
  build(chain({"a", "x"}));
  ASSERT_TRUE(m_backend->collect({chain({"a", "x"}).back().chain_id}));
  EXPECT_EQ(layer_count(), 2u);
  EXPECT_TRUE(*m_backend->has_image(chain({"a", "x"}).back().chain_id));
  ASSERT_TRUE(m_backend->collect({}));
  EXPECT_EQ(layer_count(), 0u);
}

TEST_F(BtrfsBackendTest, ContainersAreWritableCopies) {
  build(chain({"a"}));
  Digest top = chain({"a"}).back().chain_id;
  auto path = m_backend->create_container(top, "c1");
  ASSERT_TRUE(path) << path.error().message();
  ASSERT_TRUE(sys::write_file_atomic(*path + "/new", "data"));
  EXPECT_EQ(*m_backend->container_path("c1"), *path);
  auto again = m_backend->create_container(top, "c1");
  ASSERT_FALSE(again);
  EXPECT_TRUE(again.error().is(Errc::already_exists));
  EXPECT_FALSE(*sys::exists(*m_backend->rootfs_path(top) + "/new"));
  ASSERT_TRUE(m_backend->remove_container("c1"));
  EXPECT_FALSE(*sys::exists(*path));
  EXPECT_TRUE(m_backend->remove_container("c1")) << "a missing container is fine";
  EXPECT_FALSE(m_backend->container_path("c1"));
}

TEST(BtrfsBackendOpen, RefusesAStoreRootOffBtrfs) {
  auto dir = TempDir::create("/tmp", "cairn-not-btrfs-");
  ASSERT_TRUE(dir);
  auto on_btrfs = btrfs::require_btrfs(dir->path());
  if (on_btrfs) GTEST_SKIP() << "/tmp is on btrfs here";
  auto backend = BtrfsBackend::open(dir->path());
  ASSERT_FALSE(backend);
  EXPECT_TRUE(backend.error().is(Errc::unsupported));
}

}  // namespace
}  // namespace cairn
