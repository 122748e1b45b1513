// Store::open: the composefs settings recorded in the store; a new store is
// created only by a read-write open and kept only if it holds something.
#include "store/store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <map>

#include "backend/composefs/composefs_settings.h"
#include "support/temp_dir_test.h"
#include "util/sys.h"

namespace cairn {
namespace {

// An image row, so that a new store is kept when it is closed.
void keep(Store& store) {
  Digest id = *Digest::parse("sha256:" + std::string(64, 'a'));
  auto added = store.metadata().put_image(ImageRecord{.id = id,
                                                      .manifest_digest = std::nullopt,
                                                      .source = "test",
                                                      .config = "{}",
                                                      .top_chain = id,
                                                      .created = 0,
                                                      .names = {},
                                                      .layers = {}},
                                          std::nullopt);
  ASSERT_TRUE(added) << added.error().message();
}

class ComposefsSettingsTest : public testing::TempDirTest {
 protected:
  ComposefsSettingsTest() : TempDirTest("/var/tmp") {}

  Result<std::unique_ptr<Store>> open(const std::string& mode,
                                      const std::string& hybrid_min_images = "") {
    std::map<std::string, std::string> settings;
    if (!mode.empty()) settings.emplace(composefs::k_mode_setting, mode);
    if (!hybrid_min_images.empty())
      settings.emplace(composefs::k_hybrid_min_setting, hybrid_min_images);
    return Store::open(
        StoreOptions{.root = temp_dir(), .backend = "composefs", .backend_settings = settings},
        Access::read_write);
  }
  std::string setting(Store& store, const std::string& key) {
    auto value = store.metadata().setting(key);
    return value && *value ? **value : "";
  }
};

TEST_F(ComposefsSettingsTest, HybridModeAndThresholdAreRecorded) {
  auto store = open("hybrid");
  ASSERT_TRUE(store) << store.error().message();
  EXPECT_EQ(setting(**store, "composefs.mode"), "hybrid");
  EXPECT_EQ(setting(**store, "composefs.hybrid_min_images"), "2");
}

TEST_F(ComposefsSettingsTest, RequestedThresholdIsRecordedFirstAndOverridesLater) {
  {
    auto store = open("hybrid", "3");
    ASSERT_TRUE(store) << store.error().message();
    EXPECT_EQ(setting(**store, "composefs.hybrid_min_images"), "3");
    keep(**store);
  }
  {
    auto store = open("", "5");
    ASSERT_TRUE(store) << store.error().message();
    EXPECT_EQ(setting(**store, "composefs.hybrid_min_images"), "3");
  }
  for (const char* bad : {"0", "x", "2x", "-1"}) {
    auto store = open("", bad);
    ASSERT_FALSE(store) << bad;
    EXPECT_TRUE(store.error().is(Errc::usage)) << store.error().message();
  }
  auto store = open("");
  ASSERT_TRUE(store) << store.error().message();
  EXPECT_EQ(setting(**store, "composefs.hybrid_min_images"), "3");
}

// A new store refuses another backend's setting instead of ignoring it,
// and records nothing.
TEST_F(ComposefsSettingsTest, NewStoreOfAnotherBackendRefusesComposefsSettings) {
  auto store = Store::open(StoreOptions{.root = temp_dir() + "/dir-store",
                                        .backend = "dir",
                                        .backend_settings = {{"composefs.mode", "hybrid"}}},
                           Access::read_write);
  ASSERT_FALSE(store);
  EXPECT_TRUE(store.error().is(Errc::usage)) << store.error().message();
  EXPECT_NE(store.error().message().find("composefs.mode"), std::string::npos);
  EXPECT_FALSE(*Store::exists(temp_dir() + "/dir-store"));
}

class NewStoreTest : public testing::TempDirTest {
 protected:
  NewStoreTest() : TempDirTest("/var/tmp") {}
  std::string root() { return temp_dir() + "/store"; }
};

TEST_F(NewStoreTest, ReadOnlyOpenOfAMissingStoreCreatesNothing) {
  auto store = Store::open(StoreOptions{.root = root(), .backend = "dir"}, Access::read_only);
  ASSERT_FALSE(store);
  EXPECT_TRUE(store.error().is(Errc::not_found)) << store.error().message();
  EXPECT_FALSE(*sys::exists(root()));
}

TEST_F(NewStoreTest, FailedOpenLeavesNothing) {
  for (const char* backend : {"nosuch", "btrfs"}) {
    auto store = Store::open(StoreOptions{.root = root(), .backend = backend}, Access::read_write);
    ASSERT_FALSE(store) << backend;
    EXPECT_FALSE(*sys::exists(root())) << backend;
  }
}

TEST_F(NewStoreTest, AnEmptyNewStoreIsRemovedAndAKeptOneRemembersItsBackend) {
  {
    auto store = Store::open(StoreOptions{.root = root(), .backend = "dir"}, Access::read_write);
    ASSERT_TRUE(store) << store.error().message();
    ASSERT_TRUE((*store)->created());
    EXPECT_EQ((*store)->created()->name, "dir");
  }
  EXPECT_FALSE(*sys::exists(root()));
  {
    auto store = Store::open(StoreOptions{.root = root(), .backend = "dir"}, Access::read_write);
    ASSERT_TRUE(store) << store.error().message();
    keep(**store);
  }
  auto again = Store::open(StoreOptions{.root = root(), .backend = ""}, Access::read_only);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_FALSE((*again)->created());
  EXPECT_EQ((*again)->backend().name(), "dir");
}

TEST_F(NewStoreTest, OnlyItsOwnerCanReadANewStore) {
  auto store = Store::open(StoreOptions{.root = root(), .backend = "dir"}, Access::read_write);
  ASSERT_TRUE(store) << store.error().message();
  keep(**store);
  for (const std::string& path : {root(), root() + "/cairn.db", root() + "/cairn.db-journal"}) {
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0) << path;
    EXPECT_EQ(st.st_mode & 077, 0u) << path;
  }
}

}  // namespace
}  // namespace cairn
