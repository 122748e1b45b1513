#include "oci/manifest.h"

#include <gtest/gtest.h>

#include "oci/media_types.h"

namespace cairn {
namespace {

const std::string k_a = "sha256:" + std::string(64, 'a');
const std::string k_b = "sha256:" + std::string(64, 'b');

std::string descriptor(const std::string& type, const std::string& digest, int size = 10) {
  return R"({"mediaType":")" + type + R"(","digest":")" + digest + R"(","size":)" +
         std::to_string(size) + "}";
}

std::string manifest(const std::string& layer_type, const std::string& layer_digest,
                     const std::string& config_type = std::string(media_type::k_oci_config)) {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
         R"("config":)" +
         descriptor(config_type, k_a) + R"(,"layers":[)" + descriptor(layer_type, layer_digest) +
         "]}";
}

TEST(MediaTypes, LayerCompression) {
  struct Case {
    std::string_view type;
    Compression want;
  } cases[] = {
      {media_type::k_oci_layer, Compression::none},
      {media_type::k_oci_layer_gzip, Compression::gzip},
      {media_type::k_oci_layer_zstd, Compression::zstd},
      {media_type::k_oci_layer_nondist_gzip, Compression::gzip},
      {media_type::k_docker_layer_gzip, Compression::gzip},
      {media_type::k_docker_layer_foreign_gzip, Compression::gzip},
  };
  for (const Case& c : cases) EXPECT_EQ(media_type::layer_compression(c.type), c.want) << c.type;
  auto unknown = media_type::layer_compression("application/vnd.example+json");
  ASSERT_FALSE(unknown);
  EXPECT_TRUE(unknown.error().is(Errc::unsupported));
}

TEST(Manifest, ParsesOciManifest) {
  auto m = parse_manifest(manifest(std::string(media_type::k_oci_layer_gzip), k_b), "m");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->config.digest.str(), k_a);
  ASSERT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->layers[0].digest.str(), k_b);
  EXPECT_EQ(m->layers[0].size, 10u);
}

TEST(Manifest, ParsesDockerSchema2) {
  std::string doc = R"({"schemaVersion":2,"mediaType":")" +
                    std::string(media_type::k_docker_manifest) + R"(","config":)" +
                    descriptor(std::string(media_type::k_docker_config), k_a) + R"(,"layers":[)" +
                    descriptor(std::string(media_type::k_docker_layer_gzip), k_b) + "]}";
  auto m = parse_manifest(doc, "m");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->media_type, media_type::k_docker_manifest);
}

TEST(Manifest, RejectsBadDocuments) {
  std::string gz(media_type::k_oci_layer_gzip);
  struct Case {
    const char* name;
    std::string doc;
    Errc want;
  } cases[] = {
      {"not json", "{", Errc::bad_input},
      {"array", "[]", Errc::bad_input},
      {"traversal digest", manifest(gz, "sha256:../../x"), Errc::bad_input},
      {"uppercase digest", manifest(gz, "sha256:" + std::string(64, 'A')), Errc::bad_input},
      {"unknown layer type", manifest("application/x-foo", k_b), Errc::unsupported},
      {"artifact", manifest(gz, k_b, "application/vnd.example.sbom+json"), Errc::unsupported},
      {"schema1", R"({"schemaVersion":1,"name":"x","fsLayers":[]})", Errc::unsupported},
      {"no layers",
       R"({"schemaVersion":2,"config":)" + descriptor(std::string(media_type::k_oci_config), k_a) +
           "}",
       Errc::bad_input},
      {"negative size",
       R"({"schemaVersion":2,"config":{"mediaType":")" + std::string(media_type::k_oci_config) +
           R"(","digest":")" + k_a + R"(","size":-1},"layers":[]})",
       Errc::bad_input},
      {"index type",
       R"({"schemaVersion":2,"mediaType":")" + std::string(media_type::k_oci_index) +
           R"(","manifests":[]})",
       Errc::unsupported},
  };
  for (const Case& c : cases) {
    auto m = parse_manifest(c.doc, "manifest X");
    ASSERT_FALSE(m) << c.name;
    EXPECT_TRUE(m.error().is(c.want)) << c.name << ": " << m.error().message();
    EXPECT_NE(m.error().message().find("manifest X"), std::string::npos) << c.name;
  }
}

TEST(Manifest, DocumentKind) {
  std::string schema1 = R"({"schemaVersion":1,"mediaType":")" +
                        std::string(media_type::k_docker_schema1_signed) + R"("})";
  auto s1 = document_kind(schema1, "m");
  ASSERT_FALSE(s1);
  EXPECT_TRUE(s1.error().is(Errc::unsupported));
  EXPECT_NE(s1.error().message().find("schema 1"), std::string::npos);
  EXPECT_EQ(document_kind(R"({"schemaVersion":2,"manifests":[]})", "i"), DocumentKind::index);
  EXPECT_EQ(document_kind(manifest(std::string(media_type::k_oci_layer), k_b), "m"),
            DocumentKind::manifest);
}

TEST(Index, ParsesPlatformsAndAnnotations) {
  std::string doc = R"({"schemaVersion":2,"manifests":[{"mediaType":")" +
                    std::string(media_type::k_oci_manifest) + R"(","digest":")" + k_a +
                    R"(","size":5,"platform":{"os":"linux","architecture":"arm64","variant":"v8"},)"
                    R"("annotations":{"org.opencontainers.image.ref.name":"v1"}}]})";
  auto index = parse_index(doc, "index");
  ASSERT_TRUE(index) << index.error().message();
  ASSERT_EQ(index->manifests.size(), 1u);
  ASSERT_TRUE(index->manifests[0].platform);
  EXPECT_EQ(index->manifests[0].platform->str(), "linux/arm64/v8");
  EXPECT_EQ(index->manifests[0].annotations.at("org.opencontainers.image.ref.name"), "v1");
}

TEST(Config, ParsesDiffIdsAndChecksCount) {
  std::string doc =
      R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[")" + k_a +
      R"(",")" + k_b + R"("]}})";
  auto config = parse_config(doc, "config");
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ(config->platform.architecture, "amd64");
  ASSERT_EQ(config->diff_ids.size(), 2u);
  auto m = parse_manifest(manifest(std::string(media_type::k_oci_layer), k_b), "m");
  ASSERT_TRUE(m);
  auto count = check_layer_count(*m, *config, "m");
  ASSERT_FALSE(count);
  EXPECT_TRUE(count.error().is(Errc::bad_input));
}

TEST(Config, RejectsBadRootfs) {
  struct Case {
    const char* doc;
    Errc want;
  } cases[] = {
      {R"({"os":"linux"})", Errc::bad_input},
      {R"({"rootfs":{"type":"layers"}})", Errc::bad_input},
      {R"({"rootfs":{"type":"other","diff_ids":[]}})", Errc::unsupported},
      {R"({"rootfs":{"type":"layers","diff_ids":["sha256:../../etc"]}})", Errc::bad_input},
      {R"({"rootfs":{"type":"layers","diff_ids":[1]}})", Errc::bad_input},
  };
  for (const Case& c : cases) {
    auto config = parse_config(c.doc, "config");
    ASSERT_FALSE(config) << c.doc;
    EXPECT_TRUE(config.error().is(c.want)) << c.doc << ": " << config.error().message();
  }
}

}  // namespace
}  // namespace cairn
