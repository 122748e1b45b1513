// cairn fsck's check and repair (store/store_check.h) on the dir and
// composefs backends: a whole store is clean; a changed file and a missing
// image are damage; staging leftovers and container rows without a container
// are unfinished; repair removes both kinds (but a damaged image a container
// uses) and leaves a store that checks clean.
#include "store/store_check.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "store/import.h"
#include "support/gzip_image_plan.h"
#include "support/import_user.h"
#include "support/tar_builder.h"
#include "support/temp_dir_test.h"
#include "util/sys.h"

namespace cairn {
namespace {

using test::TarBuilder;

std::vector<std::string> layers() {
  return {TarBuilder().dir("etc").file("etc/passwd", "root:x:0:0\n").file("old", "old").finish(),
          TarBuilder().file("new", std::string(300, 'n')).file(".wh.old", "").finish()};
}

// Flips the first byte of every regular file under DIR; returns how many.
size_t corrupt_files_under(const std::string& dir) {
  size_t changed = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.file_size() == 0) continue;
    std::fstream file(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
    char byte = 0;
    file.read(&byte, 1);
    file.seekp(0);
    byte = static_cast<char>(byte ^ 0x20);
    file.write(&byte, 1);
    ++changed;
  }
  return changed;
}

class StoreCheckTest : public testing::TempDirTest,
                       public ::testing::WithParamInterface<std::string> {
 protected:
  StoreCheckTest() : TempDirTest("/var/tmp") {}
  void SetUp() override {
    if (!testing::can_import(GetParam())) GTEST_SKIP() << testing::k_dir_import_needs_root;
    TempDirTest::SetUp();
    auto store =
        Store::open(StoreOptions{.root = path("store"), .backend = GetParam()}, Access::read_write);
    ASSERT_TRUE(store) << store.error().message();
    m_store = std::move(*store);
    ASSERT_TRUE(m_store->metadata().set_setting("keep_blobs", "false"));
    ASSERT_TRUE(import_image(*m_store, test::gzip_image_plan(layers()), {}));
    auto image = m_store->metadata().resolve_image("img:1");
    ASSERT_TRUE(image);
    m_image = *image;
  }
  StoreCheck check() {
    auto found = check_store(*m_store);
    EXPECT_TRUE(found) << found.error().message();
    return found ? *found : StoreCheck{};
  }
  // What makes the image's top layer differ from its record.
  std::string top_layer_files() {
    if (GetParam() == "dir") return image_file();
    return path("store") + "/composefs/objects";
  }
  std::string image_file() {
    std::string top(m_image->top_chain.hex());
    if (GetParam() == "dir") return path("store") + "/dir/images/" + top;
    return path("store") + "/composefs/images/" + top + ".chain";
  }

  std::unique_ptr<Store> m_store;
  std::optional<ImageRecord> m_image;
};

TEST_P(StoreCheckTest, AWholeStoreIsClean) {
  StoreCheck found = check();
  EXPECT_EQ(found.images, 1u);
  EXPECT_EQ(found.layers + found.unchecked_layers, 2u);
  EXPECT_EQ(found.layers, GetParam() == "dir" ? 1u : 2u);
  EXPECT_TRUE(found.damaged.empty()) << found.damaged.front();
  EXPECT_TRUE(found.unfinished.empty()) << found.unfinished.front();
}

TEST_P(StoreCheckTest, AChangedFileIsDamageAndRepairRemovesTheImage) {
  ASSERT_GT(corrupt_files_under(top_layer_files()), 0u);
  StoreCheck found = check();
  ASSERT_FALSE(found.damaged.empty());
  EXPECT_NE(found.damaged.front().find("img:1"), std::string::npos) << found.damaged.front();
  EXPECT_TRUE(found.damaged_images.contains(m_image->id));
  auto repaired = repair_store(*m_store, found);
  ASSERT_TRUE(repaired) << repaired.error().message();
  ASSERT_EQ(repaired->lost.size(), 1u);
  EXPECT_NE(repaired->lost.front().find(m_image->id.short_hex()), std::string::npos);
  auto gone = m_store->metadata().find_image(m_image->id);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);
  StoreCheck after = check();
  EXPECT_EQ(after.images, 0u);
  EXPECT_TRUE(after.damaged.empty());
}

TEST_P(StoreCheckTest, AnImageTheBackendLacksIsDamage) {
  ASSERT_TRUE(sys::remove_tree(image_file()));
  StoreCheck found = check();
  ASSERT_EQ(found.damaged.size(), 1u);
  EXPECT_NE(found.damaged.front().find("has no image"), std::string::npos) << found.damaged.front();
}

TEST_P(StoreCheckTest, ALayerTwoImagesShareIsReportedForBoth) {
  std::vector<std::string> longer = layers();
  longer.push_back(TarBuilder().file("more", "more\n").finish());
  ImportOptions named;
  named.name = "img:2";
  ASSERT_TRUE(import_image(*m_store, test::gzip_image_plan(longer), named));
  ASSERT_GT(corrupt_files_under(top_layer_files()), 0u);
  StoreCheck found = check();
  if (GetParam() == "dir") {  // each dir image is a tree of its own: img:2 is untouched
    EXPECT_EQ(found.damaged_images.size(), 1u);
    return;
  }
  EXPECT_EQ(found.damaged_images.size(), 2u);
  auto second = std::find_if(found.damaged.begin(), found.damaged.end(), [](const auto& line) {
    return line.find(": damaged, as reported above for image ") != std::string::npos;
  });
  ASSERT_NE(second, found.damaged.end()) << ::testing::PrintToString(found.damaged);
  EXPECT_NE(second->find("layer 2 sha256:"), std::string::npos) << *second;
}

TEST_P(StoreCheckTest, LeftoversAreUnfinishedAndRepairRemovesThem) {
  ASSERT_TRUE(sys::make_dirs(path("store") + "/tmp/import-123/layer", 0700));
  ASSERT_TRUE(m_store->metadata().add_container(
      ContainerRecord{.name = "half", .image_id = m_image->id, .created = 0}));
  StoreCheck found = check();
  EXPECT_TRUE(found.damaged.empty()) << found.damaged.front();
  ASSERT_EQ(found.unfinished.size(), 2u);
  EXPECT_EQ(found.orphan_containers, std::vector<std::string>{"half"});
  auto repaired = repair_store(*m_store, found);
  ASSERT_TRUE(repaired) << repaired.error().message();
  EXPECT_TRUE(repaired->lost.empty());
  EXPECT_TRUE(m_store->metadata().list_containers()->empty());
  StoreCheck after = check();
  EXPECT_TRUE(after.unfinished.empty()) << after.unfinished.front();
  EXPECT_EQ(after.images, 1u);
}

TEST_P(StoreCheckTest, ADamagedImageAContainerUsesIsKept) {
  auto created = m_store->create_container(*m_image, "box");
  ASSERT_TRUE(created) << created.error().message();
  ASSERT_GT(corrupt_files_under(top_layer_files()), 0u);
  StoreCheck found = check();
  ASSERT_FALSE(found.damaged.empty());
  auto repaired = repair_store(*m_store, found);
  ASSERT_TRUE(repaired) << repaired.error().message();
  EXPECT_TRUE(repaired->lost.empty());
  ASSERT_EQ(repaired->kept.size(), 1u);
  EXPECT_NE(repaired->kept.front().find("box"), std::string::npos) << repaired->kept.front();
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreCheckTest, ::testing::Values("dir", "composefs"),
                         [](const auto& param) { return param.param; });

}  // namespace
}  // namespace cairn
