#include "store/metadata.h"

#include <gtest/gtest.h>

#include "store/sqlite.h"
#include "support/temp_dir_test.h"

namespace cairn {
namespace {

class MetadataTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    if (HasFatalFailure()) return;
    auto metadata = Metadata::open(path("cairn.db"));
    ASSERT_TRUE(metadata) << metadata.error().message();
    m_metadata.emplace(std::move(*metadata));
  }

  static ImageRecord image(std::string_view config) {
    Digest diff = Digest::of(std::string(config) + "-layer");
    return ImageRecord{.id = Digest::of(config),
                       .manifest_digest = std::nullopt,
                       .source = "test",
                       .config = std::string(config),
                       .top_chain = diff,
                       .created = 1,
                       .names = {},
                       .layers = {LayerRecord{diff, diff, std::nullopt, "tar", std::nullopt, 0}}};
  }

  // Sets the database header's schema stamp, as another cairn version would.
  void stamp_header(int version) {
    auto db = sqlite::Db::open(path("cairn.db"));
    ASSERT_TRUE(db) << db.error().message();
    ASSERT_TRUE(db->exec("PRAGMA user_version = " + std::to_string(version)));
  }

  std::optional<Metadata> m_metadata;
};

TEST_F(MetadataTest, StoresAndResolvesImagesByNameIdAndPrefix) {
  ImageRecord a = image("{\"a\":1}");
  ASSERT_TRUE(m_metadata->put_image(a, std::string("repo:a")));
  ASSERT_TRUE(m_metadata->record_layer(a.layers[0].diff_id, 1234));

  auto by_name = m_metadata->resolve_image("repo:a");
  ASSERT_TRUE(by_name) << by_name.error().message();
  EXPECT_EQ(by_name->id, a.id);
  EXPECT_EQ(by_name->names, std::vector<std::string>{"repo:a"});
  ASSERT_EQ(by_name->layers.size(), 1u);
  EXPECT_EQ(by_name->layers[0].tar_size, 1234u);

  EXPECT_TRUE(m_metadata->resolve_image(a.id.str()));
  EXPECT_TRUE(m_metadata->resolve_image(std::string(a.id.hex())));
  EXPECT_TRUE(m_metadata->resolve_image(std::string(a.id.hex().substr(0, 8))));
}

TEST_F(MetadataTest, UnknownAndShortReferencesAreNotFound) {
  ASSERT_TRUE(m_metadata->put_image(image("x"), std::nullopt));
  for (const char* ref : {"nope", "abc", "sha256:", ""}) {
    auto found = m_metadata->resolve_image(ref);
    ASSERT_FALSE(found) << ref;
    EXPECT_TRUE(found.error().is(Errc::not_found)) << ref;
  }
}

TEST_F(MetadataTest, NameMovesToTheNewestImage) {
  ImageRecord a = image("a");
  ImageRecord b = image("b");
  ASSERT_TRUE(m_metadata->put_image(a, std::string("app:latest")));
  ASSERT_TRUE(m_metadata->put_image(b, std::string("app:latest")));
  auto named = m_metadata->resolve_image("app:latest");
  ASSERT_TRUE(named);
  EXPECT_EQ(named->id, b.id);
  auto old = m_metadata->find_image(a.id);
  ASSERT_TRUE(old && *old);
  EXPECT_TRUE((*old)->names.empty());
}

TEST_F(MetadataTest, RemovingAnImageRemovesItsNamesAndLayers) {
  ImageRecord a = image("a");
  ASSERT_TRUE(m_metadata->put_image(a, std::string("a:1")));
  ASSERT_TRUE(m_metadata->remove_image(a.id));
  EXPECT_FALSE(m_metadata->resolve_image("a:1"));
  auto all = m_metadata->list_images();
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->empty());
}

TEST_F(MetadataTest, SettingsPersist) {
  ASSERT_TRUE(m_metadata->set_setting("backend", "dir"));
  auto value = m_metadata->setting("backend");
  ASSERT_TRUE(value && *value);
  EXPECT_EQ(**value, "dir");
}

TEST_F(MetadataTest, ContainersAreStoredListedAndRemoved) {
  ImageRecord a = image("a");
  ASSERT_TRUE(m_metadata->put_image(a, std::nullopt));
  ASSERT_TRUE(m_metadata->add_container(ContainerRecord{"c1", a.id, 5}));
  ASSERT_TRUE(m_metadata->add_container(ContainerRecord{"c2", a.id, 6}));
  auto taken = m_metadata->add_container(ContainerRecord{"c1", a.id, 7});
  ASSERT_FALSE(taken);
  EXPECT_TRUE(taken.error().is(Errc::already_exists));
  auto found = m_metadata->find_container("c1");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->image_id, a.id);
  EXPECT_EQ((*found)->created, 5);
  auto all = m_metadata->list_containers();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "c1");
  EXPECT_FALSE(m_metadata->remove_image(a.id)) << "a container keeps its image row";
  ASSERT_TRUE(m_metadata->remove_container("c1"));
  ASSERT_TRUE(m_metadata->remove_container("c2"));
  EXPECT_FALSE(m_metadata->find_container("c1")->has_value());
  EXPECT_TRUE(m_metadata->remove_image(a.id));
}

TEST_F(MetadataTest, ContainerOfUnknownImageIsRefused) {
  EXPECT_FALSE(m_metadata->add_container(ContainerRecord{"c", Digest::of("nope"), 1}));
}

TEST_F(MetadataTest, SchemaVersion1IsUpgradedInPlace) {
  ImageRecord a = image("a");
  ASSERT_TRUE(m_metadata->put_image(a, std::string("keep")));
  ASSERT_TRUE(m_metadata->set_setting("schema_version", "1"));
  ASSERT_TRUE(m_metadata->set_setting("backend", "dir"));
  m_metadata.reset();
  stamp_header(0);  // version 1 stores never set user_version
  auto reopened = Metadata::open(path("cairn.db"));
  ASSERT_TRUE(reopened) << reopened.error().message();
  EXPECT_EQ(**reopened->setting("schema_version"), "5");
  EXPECT_TRUE(reopened->resolve_image("keep"));
  EXPECT_TRUE(reopened->add_container(ContainerRecord{"c", a.id, 1}));
  EXPECT_EQ(*reopened->image_manifest(a.id), std::nullopt);
}

TEST_F(MetadataTest, SchemaVersion2GetsImageManifests) {
  ImageRecord a = image("a");
  ASSERT_TRUE(m_metadata->put_image(a, std::string("keep")));
  ASSERT_TRUE(m_metadata->set_setting("schema_version", "2"));
  m_metadata.reset();
  stamp_header(2);
  auto reopened = Metadata::open(path("cairn.db"));
  ASSERT_TRUE(reopened) << reopened.error().message();
  EXPECT_EQ(**reopened->setting("schema_version"), "5");
  EXPECT_EQ(*reopened->image_manifest(a.id), std::nullopt);
}

TEST_F(MetadataTest, ManifestIsStoredWithItsImageAndGoesWithIt) {
  std::string manifest = "{\n  \"schemaVersion\": 2 }\n";
  ImageRecord a = image("a");
  a.manifest_digest = Digest::of(manifest);
  ASSERT_TRUE(m_metadata->put_image(a, std::nullopt, manifest));
  auto stored = m_metadata->image_manifest(a.id);
  ASSERT_TRUE(stored) << stored.error().message();
  EXPECT_EQ(*stored, manifest);
  // Another manifest of the same image (another source) does not replace it.
  ImageRecord again = a;
  again.manifest_digest = Digest::of("other");
  ASSERT_TRUE(m_metadata->put_image(again, std::nullopt, "other"));
  EXPECT_EQ(*m_metadata->image_manifest(a.id), manifest);
  ASSERT_TRUE(m_metadata->remove_image(a.id));
  EXPECT_EQ(*m_metadata->image_manifest(a.id), std::nullopt);
}

TEST_F(MetadataTest, OlderSchemasGetPushedBlobsAndTheirAnnotations) {
  for (int version : {3, 4}) {
    SCOPED_TRACE(version);
    m_metadata.reset();
    {
      auto older = Metadata::open(path("cairn.db"));
      ASSERT_TRUE(older);
      ASSERT_TRUE(older->set_setting("schema_version", std::to_string(version)));
    }
    stamp_header(version);
    auto reopened = Metadata::open(path("cairn.db"));
    ASSERT_TRUE(reopened) << reopened.error().message();
    EXPECT_EQ(**reopened->setting("schema_version"), "5");
    Digest diff_id = Digest::of("tar" + std::to_string(version));
    EXPECT_EQ(*reopened->pushed_blob(diff_id, "gzip"), std::nullopt);
    ASSERT_TRUE(reopened->record_pushed_blob(diff_id, "gzip", {Digest::of("gz"), 12, {}}));
    ASSERT_TRUE(reopened->record_pushed_blob(diff_id, "zstd:chunked",
                                             {Digest::of("zst"), 10, {{"k", "v"}, {"k2", "w"}}}));
    auto gzip = reopened->pushed_blob(diff_id, "gzip");
    ASSERT_TRUE(gzip && *gzip);
    EXPECT_EQ((*gzip)->digest, Digest::of("gz"));
    EXPECT_EQ((*gzip)->size, 12u);
    EXPECT_TRUE((*gzip)->annotations.empty());
    ASSERT_TRUE(reopened->record_pushed_blob(diff_id, "gzip", {Digest::of("gz2"), 13, {}}));
    EXPECT_EQ((**reopened->pushed_blob(diff_id, "gzip")).digest, Digest::of("gz2"));
    auto chunked = **reopened->pushed_blob(diff_id, "zstd:chunked");
    EXPECT_EQ(chunked.size, 10u);
    EXPECT_EQ(chunked.annotations, (std::map<std::string, std::string>{{"k", "v"}, {"k2", "w"}}));
  }
}

TEST_F(MetadataTest, NewerSchemaIsRefused) {
  ASSERT_TRUE(m_metadata->set_setting("schema_version", "6"));
  m_metadata.reset();
  for (int header : {0, 6}) {
    stamp_header(header);
    auto reopened = Metadata::open(path("cairn.db"));
    ASSERT_FALSE(reopened) << "user_version " << header;
    EXPECT_TRUE(reopened.error().is(Errc::unsupported));
  }
}

TEST_F(MetadataTest, OpeningAnUpToDateStoreChangesNothing) {
  ASSERT_TRUE(m_metadata->set_setting("marker", "kept"));
  m_metadata.reset();
  auto reopened = Metadata::open(path("cairn.db"));
  ASSERT_TRUE(reopened) << reopened.error().message();
  EXPECT_EQ(**reopened->setting("schema_version"), "5");
  EXPECT_EQ(**reopened->setting("marker"), "kept");
}

}  // namespace
}  // namespace cairn
