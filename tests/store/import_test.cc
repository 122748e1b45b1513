// The import path end to end through the library: plans made in memory from
// tar layers, a real store in a temp dir, the dir backend (and composefs,
// whose layers are ingested together). What matters here
// is the store's state after success and after every kind of failure.
#include "store/import.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <mutex>
#include <set>
#include <tuple>

#include "oci/chain_id.h"
#include "support/compress.h"
#include "support/import_user.h"
#include "support/tar_builder.h"
#include "support/temp_dir_test.h"
#include "util/sys.h"

namespace cairn {
namespace {

using test::TarBuilder;

struct TestLayer {
  TestLayer(std::string tar_bytes, Compression how = Compression::gzip, std::string served = {})
      : tar(std::move(tar_bytes)), compression(how), blob(std::move(served)) {}
  std::string tar;
  Compression compression;
  std::string blob;  // what the source serves; defaults to the compressed tar
};

LayerDescriptor describe(const TestLayer& layer) {
  std::string compressed = layer.compression == Compression::gzip   ? test::gzip(layer.tar)
                           : layer.compression == Compression::zstd ? test::zstd(layer.tar)
                                                                    : layer.tar;
  auto blob = std::make_shared<std::string>(layer.blob.empty() ? compressed : layer.blob);
  return LayerDescriptor{.blob_digest = Digest::of(compressed),
                         .media_type = "application/vnd.oci.image.layer.v1.tar",
                         .compression = layer.compression,
                         .size = std::nullopt,
                         .diff_id = Digest::of(layer.tar),
                         .open = [blob]() -> Result<std::unique_ptr<Reader>> {
                           return std::make_unique<MemoryReader>(*blob);
                         }};
}

ImagePlan plan_of(const std::vector<TestLayer>& layers, const std::string& tag = "") {
  ImagePlan plan{.source = "test:" + tag,
                 .manifest_digest = std::nullopt,
                 .manifest = {},
                 .config_digest = Digest::of(""),
                 .config = {},
                 .layers = {},
                 .default_name = tag};
  std::string diff_ids;
  for (const TestLayer& layer : layers) {
    plan.layers.push_back(describe(layer));
    diff_ids += "\"" + plan.layers.back().diff_id.str() + "\",";
  }
  if (!diff_ids.empty()) diff_ids.pop_back();
  plan.config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[)" +
                diff_ids + "]}}";
  plan.config_digest = Digest::of(plan.config);
  return plan;
}

std::string base_tar() {
  return TarBuilder()
      .dir("etc")
      .file("etc/os-release", "ID=test\n")
      .dir("bin")
      .file("bin/sh", "#!sh", 0755)
      .finish();
}
std::string app_tar() {
  return TarBuilder().file("app", "hello\n").file("etc/.wh.os-release", "").finish();
}

// The dir backend's cases; ComposefsImportTest's run as any user.
class ImportTest : public testing::TempDirTest {
 protected:
  ImportTest() : TempDirTest("/var/tmp") {}
  void SetUp() override {
    if (!testing::can_import(backend())) GTEST_SKIP() << testing::k_dir_import_needs_root;
    TempDirTest::SetUp();
  }
  virtual std::string backend() const { return "dir"; }

  std::unique_ptr<Store> open_store() {
    auto store =
        Store::open(StoreOptions{.root = root(), .backend = backend()}, Access::read_write);
    EXPECT_TRUE(store) << store.error().message();
    return store ? std::move(*store) : nullptr;
  }

  std::string root() const { return path("store"); }

  std::vector<std::string> listing(const std::string& rel) const {
    std::vector<std::string> names;
    if (DIR* d = ::opendir((root() + "/" + rel).c_str())) {
      while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
      }
      ::closedir(d);
    }
    return names;
  }

  void expect_store_empty(Store& store) {
    auto images = store.metadata().list_images();
    ASSERT_TRUE(images);
    EXPECT_TRUE(images->empty());
    EXPECT_TRUE(listing("dir/images").empty());
    EXPECT_TRUE(listing("composefs/layers").empty());
    EXPECT_TRUE(listing("tmp").empty());
  }
};

TEST_F(ImportTest, ImportsAndReimportsWithoutLayerWork) {
  auto store = open_store();
  ASSERT_TRUE(store);
  ImagePlan plan = plan_of({{base_tar()}, {app_tar(), Compression::zstd}}, "app:1");
  auto first = import_image(*store, plan, {});
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->layers_ingested, 2u);
  EXPECT_EQ(first->image_id, plan.config_digest);

  auto image = store->metadata().resolve_image("app:1");
  ASSERT_TRUE(image) << image.error().message();
  std::vector<Digest> diff_ids = {plan.layers[0].diff_id, plan.layers[1].diff_id};
  EXPECT_EQ(image->top_chain, chain_ids(diff_ids).back());
  auto rootfs = store->backend().rootfs_path(image->top_chain);
  ASSERT_TRUE(rootfs);
  EXPECT_EQ(*sys::read_file(*rootfs + "/app"), "hello\n");
  EXPECT_FALSE(*sys::exists(*rootfs + "/etc/os-release"));

  auto again = import_image(*store, plan, {.name = std::string("app:again")});
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->layers_ingested, 0u);
  EXPECT_EQ(again->layers_reused, 2u);
  EXPECT_TRUE(store->metadata().resolve_image("app:again"));
}

// The observer sees each ingested layer start, its bytes (the last report is
// the whole blob, with the size the plan declares) and its end, in order.
TEST_F(ImportTest, ObserverGetsByteProgressPerLayer) {
  auto store = open_store();
  ASSERT_TRUE(store);
  ImagePlan plan = plan_of({{base_tar()}, {app_tar(), Compression::zstd}}, "app:1");
  std::vector<std::uint64_t> blob_sizes;
  for (LayerDescriptor& layer : plan.layers) {
    auto blob = layer.open();
    ASSERT_TRUE(blob);
    blob_sizes.push_back(*drain(**blob));
    layer.size = blob_sizes.back();
  }
  std::vector<std::string> events;
  ImportObserver observer;
  observer.layer_started = [&](size_t index, size_t count, const Digest&) {
    events.push_back("start " + std::to_string(index) + "/" + std::to_string(count));
  };
  observer.layer_progress = [&](size_t index, std::uint64_t done,
                                std::optional<std::uint64_t> total) {
    std::string prefix = "bytes " + std::to_string(index) + " ";
    if (events.back().starts_with(prefix)) events.pop_back();  // keep the last report
    events.push_back(prefix + std::to_string(done) + " of " + std::to_string(total.value_or(0)));
  };
  observer.layer_done = [&](size_t index, std::uint64_t) {
    events.push_back("done " + std::to_string(index));
  };
  ASSERT_TRUE(import_image(*store, plan, {}, observer));
  std::string b0 = std::to_string(blob_sizes[0]), b1 = std::to_string(blob_sizes[1]);
  EXPECT_EQ(events,
            (std::vector<std::string>{"start 0/2", "bytes 0 " + b0 + " of " + b0, "done 0",
                                      "start 1/2", "bytes 1 " + b1 + " of " + b1, "done 1"}));
}

struct BadLayerCase {
  std::string name;
  TestLayer layer;
  Errc expected;
};

void PrintTo(const BadLayerCase& c, std::ostream* os) {
  *os << c.name;
}

// On each backend: dir, then composefs.
class BadLayer : public ImportTest,
                 public ::testing::WithParamInterface<std::tuple<std::string, BadLayerCase>> {
 protected:
  std::string backend() const override { return std::get<0>(GetParam()); }
  const BadLayerCase& bad() const { return std::get<1>(GetParam()); }
};

TEST_P(BadLayer, FailsAndLeavesTheStoreAsItWas) {
  auto store = open_store();
  ASSERT_TRUE(store);
  ImagePlan plan = plan_of({{base_tar()}, bad().layer});
  auto result = import_image(*store, plan, {});
  ASSERT_FALSE(result);
  EXPECT_TRUE(result.error().is(bad().expected)) << result.error().message();
  expect_store_empty(*store);
}

std::string truncated(std::string s, size_t cut) {
  return s.substr(0, s.size() - cut);
}

INSTANTIATE_TEST_SUITE_P(
    Import, BadLayer,
    ::testing::Combine(
        ::testing::Values("dir", "composefs"),
        ::testing::Values(
            BadLayerCase{
                "blob_digest_mismatch",
                {app_tar(), Compression::gzip, test::gzip(app_tar() + std::string(512, '\0'))},
                Errc::digest_mismatch},
            BadLayerCase{"diff_id_mismatch",
                         {app_tar(), Compression::none, TarBuilder().file("other", "x").finish()},
                         Errc::digest_mismatch},
            BadLayerCase{"truncated_gzip",
                         {app_tar(), Compression::gzip, truncated(test::gzip(app_tar()), 20)},
                         Errc::bad_input},
            BadLayerCase{"corrupt_zstd",
                         {app_tar(), Compression::zstd, "\x28\xb5\x2f\xfd garbage garbage garbage"},
                         Errc::bad_input},
            BadLayerCase{"truncated_tar",
                         {app_tar(), Compression::none, truncated(app_tar(), 1024 + 300)},
                         Errc::bad_input},
            BadLayerCase{"path_escape",
                         {TarBuilder().file("../../../escape", "x").finish()},
                         Errc::unsafe_path},
            BadLayerCase{"symlink_escape",
                         {TarBuilder().symlink("l", "/tmp").file("l/escape", "x").finish()},
                         Errc::unsafe_path})),
    [](const auto& p) { return std::get<0>(p.param) + "_" + std::get<1>(p.param).name; });

std::string third_tar() {
  return TarBuilder().dir("opt").file("opt/tool", std::string(10000, 't'), 0755).finish();
}

class ComposefsImportTest : public ImportTest {
 protected:
  std::string backend() const override { return "composefs"; }
};

// composefs ingests independent layers two at a time: every layer still
// arrives, commits (layer_done) come in layer order, and the image is the
// same as imported one layer at a time.
TEST_F(ComposefsImportTest, IngestsLayersTogetherAndCommitsInOrder) {
  auto store = open_store();
  ASSERT_TRUE(store);
  ImagePlan plan = plan_of({{base_tar()}, {app_tar(), Compression::zstd}, {third_tar()}}, "app:1");
  std::mutex mutex;
  std::set<size_t> started;
  std::vector<size_t> done;
  ImportObserver observer;
  observer.layer_started = [&](size_t index, size_t, const Digest&) {
    std::lock_guard lock(mutex);
    started.insert(index);
  };
  observer.layer_done = [&](size_t index, std::uint64_t) { done.push_back(index); };
  auto result = import_image(*store, plan, {}, observer);
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(result->layers_ingested, 3u);
  EXPECT_EQ(started, (std::set<size_t>{0, 1, 2}));
  EXPECT_EQ(done, (std::vector<size_t>{0, 1, 2}));
  ASSERT_EQ(result->transfers.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(result->transfers[i].index, i);
  auto image = store->metadata().resolve_image("app:1");
  ASSERT_TRUE(image) << image.error().message();
  for (const LayerRecord& layer : image->layers) EXPECT_GT(layer.tar_size, 0u);
  EXPECT_EQ(listing("composefs/layers").size(), 3u);
}

// overlayfs would hide a character device 0/0 as a whiteout: composefs
// refuses the image, naming the entry, and keeps nothing of it.
TEST_F(ComposefsImportTest, CharDeviceZeroZeroIsRefusedAndLeavesNothing) {
  auto store = open_store();
  ASSERT_TRUE(store);
  ImagePlan plan = plan_of({{base_tar()}, {TarBuilder().char_device("dev/wh", 0, 0).finish()}});
  auto result = import_image(*store, plan, {});
  ASSERT_FALSE(result);
  EXPECT_TRUE(result.error().is(Errc::unsupported)) << result.error().message();
  EXPECT_NE(result.error().message().find("dev/wh"), std::string::npos);
  expect_store_empty(*store);
}

// A layer that fails among layers ingested together fails the import with
// its own error, and nothing of any layer stays.
TEST_F(ComposefsImportTest, LayerFailingBesideOthersLeavesNothing) {
  auto store = open_store();
  ASSERT_TRUE(store);
  TestLayer bad{app_tar(), Compression::none, TarBuilder().file("other", "x").finish()};
  ImagePlan plan = plan_of({{base_tar()}, bad, {third_tar()}}, "app:1");
  auto result = import_image(*store, plan, {});
  ASSERT_FALSE(result);
  EXPECT_TRUE(result.error().is(Errc::digest_mismatch)) << result.error().message();
  EXPECT_NE(result.error().message().find("layer 2/3"), std::string::npos)
      << result.error().message();
  auto images = store->metadata().list_images();
  ASSERT_TRUE(images);
  EXPECT_TRUE(images->empty());
  EXPECT_TRUE(listing("tmp").empty());
  EXPECT_TRUE(listing("composefs/layers").empty());
  EXPECT_TRUE(listing("composefs/objects").empty());
}

TEST_F(ImportTest, RemovedImagesAreCollected) {
  auto store = open_store();
  ASSERT_TRUE(store);
  ImagePlan a = plan_of({{base_tar()}}, "a");
  ImagePlan b = plan_of({{base_tar()}, {app_tar()}}, "b");
  ASSERT_TRUE(import_image(*store, a, {}));
  ASSERT_TRUE(import_image(*store, b, {}));
  EXPECT_EQ(listing("dir/images").size(), 2u);
  ASSERT_TRUE(store->metadata().remove_image(a.config_digest));
  ASSERT_TRUE(store->collect_garbage());
  EXPECT_EQ(listing("dir/images").size(), 1u);
  ASSERT_TRUE(store->metadata().remove_image(b.config_digest));
  ASSERT_TRUE(store->collect_garbage());
  expect_store_empty(*store);
}

TEST_F(ImportTest, LeftoversOfAKilledImportAreRemoved) {
  {
    auto store = open_store();
    ASSERT_TRUE(store);
  }
  ASSERT_TRUE(sys::make_dirs(root() + "/tmp/dir-build-killed/rootfs/etc"));
  auto store = open_store();
  ASSERT_TRUE(store);
  expect_store_empty(*store);
}

TEST_F(ImportTest, StoreRemembersItsBackend) {
  {
    auto store = open_store();
    ASSERT_TRUE(store);
    ASSERT_TRUE(import_image(*store, plan_of({{base_tar()}}, "base"), {}));
  }
  auto other = Store::open(StoreOptions{.root = root(), .backend = "zfs"}, Access::read_only);
  ASSERT_FALSE(other);
  EXPECT_TRUE(other.error().is(Errc::usage)) << other.error().message();
}

}  // namespace
}  // namespace cairn
