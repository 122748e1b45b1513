// Layers back out of a store (store/layer_blobs.h): every layer of an image
// with overwritten files, whiteouts, hardlinks and long names, rebuilt byte
// for byte on the dir and composefs backends; kept blobs; what a failed
// import leaves (nothing); gc.
#include "store/layer_blobs.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "store/import.h"
#include "store/layer_keeping.h"
#include "support/gzip_image_plan.h"
#include "support/import_user.h"
#include "support/tar_builder.h"
#include "support/temp_dir_test.h"
#include "util/sys.h"

namespace cairn {
namespace {

using test::TarBuilder;

ImagePlan plan_of(const std::vector<std::string>& tars) {
  return test::gzip_image_plan(tars);
}

std::vector<std::string> layers() {
  std::string long_name = "usr/" + std::string(150, 'l');
  return {
      TarBuilder()
          .dir("etc")
          .file("etc/passwd", "root:x:0:0\n")
          .file("etc/big", std::string(5000, 'b'))
          .file(long_name, "long")
          .xattr("user.k", "v")
          .file("bin/sh", "#!sh", 0755)
          .hardlink("bin/bash", "bin/sh")
          .file("twice", std::string(100, 't'))
          .file("./twice", "again")
          .finish(),
      TarBuilder()
          .file("etc/passwd", "root:x:0:0\nuser:x:1:1\n")
          .file("etc/.wh.big", "")
          .file("new", std::string(100, 'n'))
          .finish(),
  };
}

Result<std::string> read_everything(Reader& r) {
  return read_all(r, 1 << 24);
}

class LayerBlobsTest : public testing::TempDirTest,
                       public ::testing::WithParamInterface<std::string> {
 protected:
  LayerBlobsTest() : TempDirTest("/var/tmp") {}
  void SetUp() override {
    if (!testing::can_import(GetParam())) GTEST_SKIP() << testing::k_dir_import_needs_root;
    TempDirTest::SetUp();
  }
  std::unique_ptr<Store> open_store() {
    auto store =
        Store::open(StoreOptions{.root = path("store"), .backend = GetParam()}, Access::read_write);
    EXPECT_TRUE(store) << store.error().message();
    return store ? std::move(*store) : nullptr;
  }
  size_t count(const std::string& rel) const {
    size_t n = 0;
    if (DIR* d = ::opendir((path("store") + "/" + rel).c_str())) {
      while (dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
      ::closedir(d);
    }
    return n;
  }
};

TEST_P(LayerBlobsTest, EveryLayerComesBackByteForByte) {
  auto store = open_store();
  ASSERT_TRUE(store);
  if (GetParam() == "dir") {
    ASSERT_TRUE(store->metadata().set_setting("keep_blobs", "false"));  // rebuild from records
  }
  std::vector<std::string> tars = layers();
  ImagePlan plan = plan_of(tars);
  ASSERT_TRUE(import_image(*store, plan, {}));
  auto image = store->metadata().resolve_image("img:1");
  ASSERT_TRUE(image);
  EXPECT_EQ(count("tar-split"), 2u);
  EXPECT_EQ(count("blobs/sha256"), 0u);
  for (size_t i = 0; i < tars.size(); ++i) {
    SCOPED_TRACE("layer " + std::to_string(i));
    auto tar = open_layer_tar(*store, *image, i);
    ASSERT_TRUE(tar) << tar.error().message();
    auto bytes = read_everything(**tar);
    if (GetParam() == "dir" && i == 0) {
      // The merged tree lost layer 1's etc/passwd and etc/big.
      ASSERT_FALSE(bytes);
      EXPECT_TRUE(bytes.error().is(Errc::not_found)) << bytes.error().message();
      EXPECT_NE(bytes.error().message().find("--keep-blobs"), std::string::npos);
      continue;
    }
    ASSERT_TRUE(bytes) << bytes.error().message();
    EXPECT_TRUE(*bytes == tars[i]);
    auto blob = open_kept_blob(*store, *image, i);
    ASSERT_TRUE(blob);
    EXPECT_FALSE(*blob);
  }
  auto manifest = stored_manifest(*store, *image);
  ASSERT_TRUE(manifest);
  EXPECT_EQ(*manifest, plan.manifest);
}

TEST_P(LayerBlobsTest, KeptBlobsAreTheOriginalsAndGoWithGc) {
  auto store = open_store();
  ASSERT_TRUE(store);
  std::vector<std::string> tars = layers();
  ImagePlan plan = plan_of(tars);
  ASSERT_TRUE(import_image(*store, plan, {.name = std::nullopt, .keep_blobs = true}));
  auto image = store->metadata().resolve_image("img:1");
  ASSERT_TRUE(image);
  EXPECT_EQ(count("blobs/sha256"), 2u);
  for (size_t i = 0; i < tars.size(); ++i) {
    auto blob = open_kept_blob(*store, *image, i);
    ASSERT_TRUE(blob && *blob);
    auto bytes = read_everything(***blob);
    ASSERT_TRUE(bytes) << bytes.error().message();
    EXPECT_EQ(Digest::of(*bytes), plan.layers[i].blob_digest);
    auto tar = open_layer_tar(*store, *image, i);
    ASSERT_TRUE(tar) << tar.error().message();
    auto rebuilt = read_everything(**tar);
    ASSERT_TRUE(rebuilt) << rebuilt.error().message();
    EXPECT_TRUE(*rebuilt == tars[i]);
  }
  ASSERT_TRUE(store->metadata().remove_image(image->id));
  ASSERT_TRUE(store->collect_garbage());
  EXPECT_EQ(count("tar-split"), 0u);
  EXPECT_EQ(count("blobs/sha256"), 0u);
}

TEST_P(LayerBlobsTest, AFailedImportLeavesNoRecordAndNoBlob) {
  auto store = open_store();
  ASSERT_TRUE(store);
  std::vector<std::string> tars = layers();
  ImagePlan plan = plan_of(tars);
  plan.layers[1].diff_id = Digest::of("not this");
  ASSERT_FALSE(import_image(*store, plan, {.name = std::nullopt, .keep_blobs = true}));
  EXPECT_EQ(count("tar-split"), 0u);
  EXPECT_EQ(count("blobs/sha256"), 0u);
  EXPECT_EQ(count("tmp"), 0u);
}

TEST_P(LayerBlobsTest, AReimportRecordsALayerThatHasNoRecord) {
  auto store = open_store();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->metadata().set_setting("keep_blobs", "false"));
  std::vector<std::string> tars = layers();
  ImagePlan plan = plan_of(tars);
  ASSERT_TRUE(import_image(*store, plan, {}));
  auto image = store->metadata().resolve_image("img:1");
  ASSERT_TRUE(image);
  ASSERT_EQ(::unlink(tar_split_path(store->root(), plan.layers[1].diff_id).c_str()), 0);
  auto missing = open_layer_tar(*store, *image, 1);
  ASSERT_FALSE(missing);
  EXPECT_TRUE(missing.error().is(Errc::not_found));
  EXPECT_NE(missing.error().message().find("import the image again"), std::string::npos);
  auto again = import_image(*store, plan, {});
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->layers_ingested, 0u);
  auto tar = open_layer_tar(*store, *image, 1);
  ASSERT_TRUE(tar) << tar.error().message();
  auto bytes = read_everything(**tar);
  ASSERT_TRUE(bytes) << bytes.error().message();
  EXPECT_TRUE(*bytes == tars[1]);
}

TEST(LayerBlobsDir, ANewDirStoreKeepsBlobs) {
  if (::geteuid() != 0) GTEST_SKIP() << "applying layers needs root";
  char dir[] = "/var/tmp/cairn-dir-keep-XXXXXX";
  ASSERT_TRUE(::mkdtemp(dir));
  {
    auto store = Store::open(StoreOptions{.root = std::string(dir) + "/s", .backend = "dir"},
                             Access::read_write);
    ASSERT_TRUE(store);
    EXPECT_EQ(**(*store)->metadata().setting("keep_blobs"), "true");
    std::vector<std::string> tars = layers();
    ImagePlan plan = plan_of(tars);
    ASSERT_TRUE(import_image(**store, plan, {}));
    auto image = (*store)->metadata().resolve_image("img:1");
    ASSERT_TRUE(image);
    auto tar = open_layer_tar(**store, *image, 0);  // from the kept blob
    ASSERT_TRUE(tar) << tar.error().message();
    auto bytes = read_everything(**tar);
    ASSERT_TRUE(bytes) << bytes.error().message();
    EXPECT_TRUE(*bytes == tars[0]);
  }
  ASSERT_TRUE(sys::remove_tree(dir));
}

INSTANTIATE_TEST_SUITE_P(Backends, LayerBlobsTest, ::testing::Values("dir", "composefs"));

}  // namespace
}  // namespace cairn
