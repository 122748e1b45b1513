// Store::open: the composefs settings recorded in the store.
#include "store/store.h"

#include <gtest/gtest.h>

#include "support/temp_dir_test.h"

namespace cairn {
namespace {

class ComposefsSettingsTest : public testing::TempDirTest {
 protected:
  ComposefsSettingsTest() : TempDirTest("/var/tmp") {}

  Result<std::unique_ptr<Store>> open(const std::string& mode,
                                      const std::string& hybrid_min_images = "") {
    return Store::open(StoreOptions{.root = temp_dir(),
                                    .backend = "composefs",
                                    .composefs_mode = mode,
                                    .composefs_hybrid_min_images = hybrid_min_images},
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

}  // namespace
}  // namespace cairn
