// import_stream over save streams built in memory, into the dir backend
// (layers applied in order: spooled or read again when out of order) and
// the composefs one (layers taken in any order, the stream read once): the
// legacy form in the orders docker 20.10 and podman 4 write, the
// OCI-layout form, layers out of order, a repeated layer, a layer the
// manifest does not name, and every failure leaving the store as it was.
// The composefs cases run as any user (images read through their layer
// indexes, not mounted); the dir cases need root.
#include "store/stream_import.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "oci/chain_id.h"
#include "oci/media_types.h"
#include "support/composefs_files.h"
#include "support/import_user.h"
#include "support/source_fixtures.h"
#include "util/sys.h"
#include "util/temp_dir.h"

namespace cairn {
namespace {

using testing::TarFixture;
using Json = nlohmann::json;

class MemoryStream final : public ImageStream {
 public:
  MemoryStream(std::string bytes, std::optional<Error> verdict)
      : m_bytes(std::move(bytes)), m_reader(m_bytes), m_verdict(std::move(verdict)) {}
  Reader& reader() override { return m_reader; }
  Result<void> close(StreamEnd) override {
    if (m_verdict) return fail(*m_verdict);
    return {};
  }

 private:
  std::string m_bytes;
  MemoryReader m_reader;
  std::optional<Error> m_verdict;
};

struct Counted {
  StreamSource source;
  std::shared_ptr<int> opens = std::make_shared<int>(0);
};

// Each run leaves a file in its scratch directory, as podman save does: the
// store's tmp/ must be empty after every import, failed or not.
Counted memory_source(std::string bytes, std::optional<Error> verdict = std::nullopt) {
  Counted counted;
  counted.source.uri = "test://stream";
  counted.source.open =
      [bytes = std::move(bytes), verdict, opens = counted.opens](
          const std::string& scratch_dir) -> Result<std::unique_ptr<ImageStream>> {
    ++*opens;
    TRY(sys::write_file_atomic(scratch_dir + "/producer-leftover", "spool"));
    return std::make_unique<MemoryStream>(bytes, verdict);
  };
  return counted;
}

std::string hex(const Digest& d) {
  return std::string(d.hex());
}

std::vector<std::string> three_layers() {
  TarFixture a, b, c;
  a.dir("etc");
  a.file("etc/base", "base\n");
  a.file("etc/gone", "gone\n");
  b.file("etc/second", "second\n");
  c.file("etc/.wh.gone", "");
  c.file("etc/base", "third\n");
  return {a.finish(), b.finish(), c.finish()};
}

std::vector<Digest> diff_ids_of(const std::vector<std::string>& tars) {
  std::vector<Digest> out;
  for (const std::string& t : tars) out.push_back(Digest::of(t));
  return out;
}

// A layer the manifest does not name: one file too big to be inlined by
// composefs, so that it would leave an object behind.
std::string unlisted_layer() {
  TarFixture t;
  t.file("unlisted", std::string(1000, 'u'));
  return t.finish();
}

// A legacy save: apply order `layers` (indexes into tars, repeats allowed);
// `order` is the stream order of the distinct layer members; `unlisted`, a
// layer member after them that the manifest does not name.
enum class Naming { docker, podman };
std::string legacy_stream(const std::vector<std::string>& tars, const std::vector<size_t>& layers,
                          const std::vector<size_t>& order, Naming naming,
                          std::optional<std::string> config = std::nullopt,
                          std::optional<std::string> unlisted = std::nullopt) {
  std::vector<Digest> ids;
  for (size_t i : layers) ids.push_back(Digest::of(tars[i]));
  std::string cfg = config.value_or(testing::make_config(ids));
  std::string cfg_name = hex(Digest::of(cfg)) + ".json";
  TarFixture out;
  Json paths = Json::array();
  auto docker_dir = [](size_t pos) { return "id" + std::to_string(pos); };
  for (size_t pos : order) {
    if (naming == Naming::podman) {
      out.file(hex(Digest::of(tars[layers[pos]])) + ".tar", tars[layers[pos]]);
      continue;
    }
    Json v1{{"id", docker_dir(pos)}};
    if (pos > 0) v1["parent"] = docker_dir(pos - 1);
    out.dir(docker_dir(pos));
    out.file(docker_dir(pos) + "/json", v1.dump());
    out.file(docker_dir(pos) + "/layer.tar", tars[layers[pos]]);
  }
  if (unlisted) out.file("unlisted.tar", *unlisted);
  for (size_t pos = 0; pos < layers.size(); ++pos) {
    paths.push_back(naming == Naming::podman ? hex(Digest::of(tars[layers[pos]])) + ".tar"
                                             : docker_dir(pos) + "/layer.tar");
  }
  out.file(cfg_name, cfg);
  out.file(
      "manifest.json",
      Json::array({Json{{"Config", cfg_name}, {"RepoTags", {"test/img:1"}}, {"Layers", paths}}})
          .dump());
  return out.finish();
}

// Over the backend GetParam() names (or the first of the tuple).
template <typename Param>
class StreamImportTest : public ::testing::TestWithParam<Param> {
 protected:
  const std::string& backend_name() const {
    if constexpr (std::is_same_v<Param, std::string>) {
      return this->GetParam();
    } else {
      return std::get<0>(this->GetParam());
    }
  }
  bool composefs() const { return backend_name() == "composefs"; }

  void SetUp() override {
    if (!testing::can_import(backend_name())) GTEST_SKIP() << testing::k_dir_import_needs_root;
    auto dir = TempDir::create("/var/tmp", "cairn-stream-test-");
    ASSERT_TRUE(dir) << dir.error().message();
    m_dir.emplace(std::move(*dir));
    auto store =
        Store::open(StoreOptions{.root = m_dir->path() + "/store", .backend = backend_name()},
                    Access::read_write);
    ASSERT_TRUE(store) << store.error().message();
    m_store = std::move(*store);
  }

  std::vector<std::string> listing(const std::string& rel) const {
    std::vector<std::string> names;
    if (DIR* d = ::opendir((m_store->root() + "/" + rel).c_str())) {
      while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
      }
      ::closedir(d);
    }
    return names;
  }

  // Regular files under ROOT/REL, at any depth.
  size_t file_count(const std::string& rel) const {
    std::error_code ec;
    size_t count = 0;
    std::filesystem::recursive_directory_iterator it(m_store->root() + "/" + rel, ec);
    for (const auto& e : it) count += e.is_regular_file() ? 1 : 0;
    return count;
  }

  void expect_unchanged() {
    auto images = m_store->metadata().list_images();
    ASSERT_TRUE(images);
    EXPECT_TRUE(images->empty());
    EXPECT_TRUE(listing("dir/images").empty());
    EXPECT_EQ(file_count("composefs"), 0u);
    EXPECT_TRUE(listing("tmp").empty());
  }

  // The rootfs of the image the import made (for composefs: as its layer
  // indexes give it), checked against three_layers().
  void expect_three_layer_tree(const ImportResult& result, size_t layer_count) {
    auto image = m_store->metadata().find_image(result.image_id);
    ASSERT_TRUE(image && *image);
    EXPECT_EQ((*image)->layers.size(), layer_count);
    std::map<std::string, std::optional<std::string>> files = {
        {"etc/base", "third\n"}, {"etc/second", "second\n"}, {"etc/gone", {}}, {"unlisted", {}}};
    if (composefs()) {
      auto& backend = dynamic_cast<composefs::ComposefsBackend&>(m_store->backend());
      auto image_files = testing::ComposefsFiles::open(backend, (*image)->layers);
      ASSERT_TRUE(image_files) << image_files.error().message();
      for (const auto& [path, content] : files) {
        auto read = image_files->read(path);
        ASSERT_TRUE(read) << read.error().message();
        EXPECT_EQ(*read, content) << path;
      }
    } else {
      auto rootfs = m_store->backend().rootfs_path((*image)->top_chain);
      ASSERT_TRUE(rootfs) << rootfs.error().message();
      for (const auto& [path, content] : files) {
        auto read = sys::read_file(*rootfs + "/" + path);
        EXPECT_EQ(read ? std::optional<std::string>(*read) : std::nullopt, content) << path;
      }
    }
    EXPECT_TRUE(listing("tmp").empty());
  }

  std::optional<TempDir> m_dir;
  std::unique_ptr<Store> m_store;
};

struct OrderCase {
  std::string name;
  Naming naming;
  std::vector<size_t> layers;
  std::vector<size_t> order;
  int dir_opens;  // 2: dir reads the stream again in spool mode (composefs: always 1)
};

void PrintTo(const OrderCase& c, std::ostream* os) {
  *os << c.name;
}

const auto k_backends = ::testing::Values(std::string("dir"), std::string("composefs"));

using StreamOrderTest = StreamImportTest<std::tuple<std::string, OrderCase>>;

TEST_P(StreamOrderTest, ImportsInApplyOrder) {
  const OrderCase& c = std::get<1>(GetParam());
  auto tars = three_layers();
  Counted src = memory_source(legacy_stream(tars, c.layers, c.order, c.naming));
  auto result = import_stream(*m_store, src.source, {});
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(*src.opens, composefs() ? 1 : c.dir_opens);
  EXPECT_EQ(result->layers_ingested, c.layers.size());
  EXPECT_EQ(result->name, "test/img:1");
  expect_three_layer_tree(*result, c.layers.size());

  auto again = import_stream(*m_store, src.source, {});
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->layers_ingested, 0u);
  EXPECT_EQ(again->layers_reused, c.layers.size());
}

INSTANTIATE_TEST_SUITE_P(
    Orders, StreamOrderTest,
    ::testing::Combine(
        k_backends,
        ::testing::Values(
            OrderCase{"podman_in_order", Naming::podman, {0, 1, 2}, {0, 1, 2}, 1},
            OrderCase{"docker_in_order", Naming::docker, {0, 1, 2}, {0, 1, 2}, 1},
            OrderCase{"docker_shuffled", Naming::docker, {0, 1, 2}, {2, 0, 1}, 1},
            OrderCase{"docker_reversed", Naming::docker, {0, 1, 2}, {2, 1, 0}, 1},
            OrderCase{"docker_repeated_layer", Naming::docker, {0, 1, 2, 1}, {3, 1, 0, 2}, 1},
            OrderCase{"podman_out_of_order", Naming::podman, {0, 1, 2}, {1, 0, 2}, 2},
            OrderCase{"podman_repeated_layer", Naming::podman, {0, 1, 2, 1}, {0, 1, 2}, 2})),
    [](const auto& p) { return std::get<0>(p.param) + "_" + std::get<1>(p.param).name; });

using StreamBackendTest = StreamImportTest<std::string>;

// The image is imported; of the unlisted layer nothing stays (dir applied
// it as the next layer, then read the stream again in spool mode; composefs
// indexed it and discards it).
TEST_P(StreamBackendTest, UnlistedLayerLeavesNothing) {
  auto tars = three_layers();
  for (Naming naming : {Naming::docker, Naming::podman}) {
    Counted src = memory_source(
        legacy_stream(tars, {0, 1, 2}, {0, 1, 2}, naming, std::nullopt, unlisted_layer()));
    auto result = import_stream(*m_store, src.source, {});
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(*src.opens, composefs() ? 1 : 2);
    expect_three_layer_tree(*result, 3);
    // A tar-split record per listed layer, none for the unlisted one.
    EXPECT_EQ(listing("tar-split").size(), 3u);
    if (composefs()) {
      EXPECT_EQ(listing("composefs/layers").size(), 3u);
      EXPECT_EQ(file_count("composefs/objects"), 0u);  // the layers' files are all inlined
    }
  }
}

TEST_P(StreamBackendTest, OciLayoutForm) {
  auto tars = three_layers();
  testing::OciLayoutFixture plain;
  testing::FixtureImage fixture = plain.add_image(tars);
  plain.list(fixture.manifest, "v1");
  testing::FileSet files = plain.files();
  TarFixture out;
  // layers first, then the JSON blobs and index.json, as a writer streaming its blobs would
  for (const std::string& t : tars) out.file("blobs/sha256/" + hex(Digest::of(t)), t);
  for (const auto& [name, bytes] : files.files) {
    if (name.starts_with("blobs/") && Digest::of(bytes) != Digest::of(tars[0]) &&
        Digest::of(bytes) != Digest::of(tars[1]) && Digest::of(bytes) != Digest::of(tars[2])) {
      out.file(name, bytes);
    }
  }
  out.file("index.json", files.files.at("index.json"));
  Counted src = memory_source(out.finish());
  auto result = import_stream(*m_store, src.source, {});
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(*src.opens, 1);
  EXPECT_EQ(result->name, "v1");
  expect_three_layer_tree(*result, 3);
}

TEST_P(StreamBackendTest, TruncatedStreamLeavesStoreUnchanged) {
  std::string stream = legacy_stream(three_layers(), {0, 1, 2}, {0, 1, 2}, Naming::podman);
  for (size_t cut : {size_t{700}, stream.size() / 2, stream.size() - 1500}) {
    Counted src = memory_source(stream.substr(0, cut));
    auto result = import_stream(*m_store, src.source, {});
    ASSERT_FALSE(result) << "cut at " << cut;
    EXPECT_TRUE(result.error().is(Errc::bad_input)) << result.error().message();
    expect_unchanged();
  }
}

TEST_P(StreamBackendTest, DiffIdMismatchLeavesStoreUnchanged) {
  auto tars = three_layers();
  std::vector<Digest> ids = diff_ids_of(tars);
  ids[1] = Digest::of("something else");
  for (Naming naming : {Naming::docker, Naming::podman}) {
    Counted src =
        memory_source(legacy_stream(tars, {0, 1, 2}, {0, 1, 2}, naming, testing::make_config(ids)));
    auto result = import_stream(*m_store, src.source, {});
    ASSERT_FALSE(result);
    EXPECT_TRUE(result.error().is(Errc::digest_mismatch) || result.error().is(Errc::bad_input))
        << result.error().message();
    expect_unchanged();
  }
}

TEST_P(StreamBackendTest, MissingConfigOrManifest) {
  TarFixture only_layer;
  only_layer.file("abc.tar", three_layers()[0]);
  TarFixture no_config;
  no_config.file("abc/layer.tar", three_layers()[0]);
  no_config.file("manifest.json", R"([{"Config":"cfg.json","Layers":["abc/layer.tar"]}])");
  for (const std::string& stream : {only_layer.finish(), no_config.finish(), std::string()}) {
    Counted src = memory_source(stream);
    auto result = import_stream(*m_store, src.source, {});
    ASSERT_FALSE(result);
    EXPECT_TRUE(result.error().is(Errc::bad_input)) << result.error().message();
    expect_unchanged();
  }
}

TEST_P(StreamBackendTest, ProducerFailureWins) {
  std::string stream = legacy_stream(three_layers(), {0, 1, 2}, {0, 1, 2}, Naming::podman);
  for (const std::string& bytes : {stream, stream.substr(0, 1000), std::string()}) {
    Counted src = memory_source(bytes, Error(make_error_code(Errc::not_found), "no such image"));
    auto result = import_stream(*m_store, src.source, {});
    ASSERT_FALSE(result);
    EXPECT_TRUE(result.error().is(Errc::not_found)) << result.error().message();
    expect_unchanged();
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, StreamBackendTest, k_backends,
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace cairn
