// The registry source against a real registry (Debian's docker-registry,
// distribution 2.8) on 127.0.0.1, with images pushed by the test.
#include "source/registry_source.h"

#include <gtest/gtest.h>

#include "oci/media_types.h"
#include "support/registry_fixture.h"
#include "support/temp_dir_test.h"
#include "util/reader.h"
#include "util/sys.h"

namespace cairn {
namespace {

using test::DockerRegistry;
using test::ManifestFlavor;
using test::TestImage;
namespace mt = media_type;

#define ASSERT_OK(expr)                        \
  do {                                         \
    auto ok_ = (expr);                         \
    ASSERT_TRUE(ok_) << ok_.error().message(); \
  } while (0)

const Platform k_amd64{"linux", "amd64", ""};
const Platform k_arm64{"linux", "arm64", "v8"};

class RegistrySourceTest : public testing::TempDirTest {
 protected:
  void start(const std::optional<Credentials>& user = std::nullopt) {
    if (auto reason = DockerRegistry::unavailable_reason()) GTEST_SKIP() << *reason;
    auto registry = DockerRegistry::start(temp_dir(), user);
    ASSERT_TRUE(registry) << registry.error().message();
    m_registry = std::move(*registry);
    m_options.insecure_registries = {m_registry->host()};
    m_options.default_credentials = DefaultCredentials::ignore;
    m_options.retry_backoff = std::chrono::milliseconds(10);
    m_options.retries = 2;
  }
  void TearDown() override { m_registry.reset(); }

  std::string ref(const std::string& repo_and_tag) const {
    return "docker://" + m_registry->host() + "/" + repo_and_tag;
  }
  Result<ImagePlan> plan(const std::string& reference, std::optional<std::string> platform = {}) {
    return plan_registry_image(
        reference, SourceOptions{.platform = std::move(platform), .registry = {}}, m_options);
  }

  std::unique_ptr<DockerRegistry> m_registry;
  RegistryOptions m_options;
};

// Every layer of the plan matches the image, and streams its exact bytes.
void expect_plan_matches(const ImagePlan& plan, const TestImage& image) {
  EXPECT_EQ(plan.manifest, image.manifest.data);
  ASSERT_TRUE(plan.manifest_digest);
  EXPECT_EQ(*plan.manifest_digest, image.manifest.digest);
  EXPECT_EQ(plan.config, image.config.data);
  EXPECT_EQ(plan.config_digest, image.config.digest);
  ASSERT_EQ(plan.layers.size(), image.layers.size());
  for (size_t i = 0; i < plan.layers.size(); ++i) {
    const LayerDescriptor& layer = plan.layers[i];
    EXPECT_EQ(layer.blob_digest, image.layers[i].digest);
    EXPECT_EQ(layer.media_type, image.layers[i].media_type);
    EXPECT_EQ(layer.compression, *mt::layer_compression(image.layers[i].media_type));
    EXPECT_EQ(layer.size, image.layers[i].data.size());
    EXPECT_EQ(layer.diff_id, image.diff_ids[i]);
    auto reader = layer.open();
    ASSERT_TRUE(reader) << reader.error().message();
    auto bytes = read_all(**reader, 64 << 20);
    ASSERT_TRUE(bytes) << bytes.error().message();
    EXPECT_TRUE(*bytes == image.layers[i].data) << "layer " << i;
  }
}

TEST_F(RegistrySourceTest, OciManifestWithZstdAndUncompressedLayers) {
  start();
  if (IsSkipped()) return;
  TestImage image =
      test::make_test_image(ManifestFlavor::oci,
                            {std::string(mt::k_oci_layer_zstd), std::string(mt::k_oci_layer),
                             std::string(mt::k_oci_layer_gzip)},
                            k_amd64, 300 << 10, "oci");
  ASSERT_OK(m_registry->push_image("cairn/oci", "v1", image));
  auto p = plan(ref("cairn/oci:v1"));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->source, ref("cairn/oci:v1"));
  EXPECT_EQ(p->default_name, m_registry->host() + "/cairn/oci:v1");
  expect_plan_matches(*p, image);
  EXPECT_EQ(p->layers[0].compression, Compression::zstd);
  EXPECT_EQ(p->layers[1].compression, Compression::none);
}

TEST_F(RegistrySourceTest, DockerSchema2ManifestStreamsLargeLayer) {
  start();
  if (IsSkipped()) return;
  m_options.stream_buffer = 64 << 10;  // much smaller than the layer
  TestImage image =
      test::make_test_image(ManifestFlavor::docker,
                            {std::string(mt::k_docker_layer_gzip), std::string(mt::k_docker_layer)},
                            k_amd64, 5 << 20, "docker");
  ASSERT_OK(m_registry->push_image("cairn/docker", "latest", image));
  auto p = plan(ref("cairn/docker"));
  ASSERT_TRUE(p) << p.error().message();
  expect_plan_matches(*p, image);
}

TEST_F(RegistrySourceTest, IndexResolvesToPlatform) {
  start();
  if (IsSkipped()) return;
  std::vector<std::string> layer = {std::string(mt::k_oci_layer_gzip)};
  TestImage amd = test::make_test_image(ManifestFlavor::oci, layer, k_amd64, 1000, "amd");
  TestImage arm = test::make_test_image(ManifestFlavor::oci, layer, k_arm64, 1000, "arm");
  for (const TestImage* image : {&amd, &arm}) {
    ASSERT_OK(m_registry->push_image("cairn/multi", image->manifest.digest.str(), *image));
  }
  for (ManifestFlavor flavor : {ManifestFlavor::oci, ManifestFlavor::docker}) {
    std::string tag = flavor == ManifestFlavor::oci ? "oci" : "list";
    ASSERT_OK(
        m_registry->push_manifest("cairn/multi", tag, test::make_test_index(flavor, {&amd, &arm})));
    auto as_arm = plan(ref("cairn/multi:" + tag), "linux/arm64");
    ASSERT_TRUE(as_arm) << as_arm.error().message();
    expect_plan_matches(*as_arm, arm);
    auto as_amd = plan(ref("cairn/multi:" + tag), "linux/x86_64");
    ASSERT_TRUE(as_amd) << as_amd.error().message();
    expect_plan_matches(*as_amd, amd);
    auto host = plan(ref("cairn/multi:" + tag));
    Platform hp = host_platform();
    if (hp.architecture == "amd64" || hp.architecture == "arm64") {
      ASSERT_TRUE(host) << host.error().message();
      EXPECT_EQ(host->config_digest,
                hp.architecture == "amd64" ? amd.config.digest : arm.config.digest);
    }
    auto none = plan(ref("cairn/multi:" + tag), "linux/s390x");
    ASSERT_FALSE(none);
    EXPECT_TRUE(none.error().is(Errc::not_found)) << none.error().message();
    EXPECT_NE(none.error().message().find("linux/arm64"), std::string::npos);
  }
}

TEST_F(RegistrySourceTest, PullByDigest) {
  start();
  if (IsSkipped()) return;
  TestImage image = test::make_test_image(ManifestFlavor::oci, {std::string(mt::k_oci_layer)},
                                          k_amd64, 4096, "digest");
  ASSERT_OK(m_registry->push_image("cairn/bydigest", "v1", image));
  auto p = plan(ref("cairn/bydigest@" + image.manifest.digest.str()));
  ASSERT_TRUE(p) << p.error().message();
  expect_plan_matches(*p, image);
  EXPECT_EQ(p->default_name, m_registry->host() + "/cairn/bydigest@" + image.manifest.digest.str());
  auto missing = plan(ref("cairn/bydigest@" + Digest::of("nothing").str()));
  ASSERT_FALSE(missing);
  EXPECT_TRUE(missing.error().is(Errc::not_found)) << missing.error().message();
}

TEST_F(RegistrySourceTest, UnknownRepositoryOrTagIsNotFound) {
  start();
  if (IsSkipped()) return;
  TestImage image =
      test::make_test_image(ManifestFlavor::oci, {std::string(mt::k_oci_layer)}, k_amd64, 10, "x");
  ASSERT_OK(m_registry->push_image("cairn/known", "v1", image));
  for (std::string r : {"cairn/known:v2", "cairn/unknown:v1", "nobody/here"}) {
    auto p = plan(ref(r));
    ASSERT_FALSE(p) << r;
    EXPECT_TRUE(p.error().is(Errc::not_found)) << p.error().message();
  }
}

TEST_F(RegistrySourceTest, PlainHttpNeedsInsecure) {
  start();
  if (IsSkipped()) return;
  m_options.insecure_registries.clear();
  auto p = plan(ref("cairn/any:v1"));
  ASSERT_FALSE(p);
  EXPECT_FALSE(p.error().is(Errc::not_found)) << p.error().message();
  m_options.insecure = true;
  auto q = plan(ref("cairn/any:v1"));
  ASSERT_FALSE(q);
  EXPECT_TRUE(q.error().is(Errc::not_found)) << q.error().message();
}

TEST_F(RegistrySourceTest, HtpasswdBasicAuth) {
  start(Credentials{"cairn", "s3cret"});
  if (IsSkipped()) return;
  TestImage image = test::make_test_image(ManifestFlavor::oci, {std::string(mt::k_oci_layer_zstd)},
                                          k_amd64, 2000, "auth");
  ASSERT_OK(m_registry->push_image("cairn/private", "v1", image));

  auto anonymous = plan(ref("cairn/private:v1"));
  ASSERT_FALSE(anonymous);
  EXPECT_TRUE(anonymous.error().is(Errc::access_denied)) << anonymous.error().message();
  EXPECT_NE(anonymous.error().message().find("authentication required"), std::string::npos);

  std::string host = m_registry->host();
  std::string netrc = path("netrc");
  ASSERT_TRUE(sys::write_file_atomic(netrc, "machine 127.0.0.1 login cairn password wrong\n"));
  m_options.credential_files = {{netrc, CredentialFormat::netrc}};
  auto wrong = plan(ref("cairn/private:v1"));
  ASSERT_FALSE(wrong);
  EXPECT_TRUE(wrong.error().is(Errc::access_denied)) << wrong.error().message();
  EXPECT_NE(wrong.error().message().find("authentication failed for " + host), std::string::npos)
      << wrong.error().message();

  ASSERT_TRUE(sys::write_file_atomic(netrc, "machine 127.0.0.1 login cairn password s3cret\n"));
  auto right = plan(ref("cairn/private:v1"));
  ASSERT_TRUE(right) << right.error().message();
  expect_plan_matches(*right, image);

  std::string json = path("auth.json");
  ASSERT_TRUE(sys::write_file_atomic(json, R"({"auths": {")" + host + R"(": {"auth": ")" +
                                               base64_encode("cairn:s3cret") + R"("}}})"));
  m_options.credential_files = {{json, CredentialFormat::auth_json}};
  auto from_json = plan(ref("cairn/private:v1"));
  ASSERT_TRUE(from_json) << from_json.error().message();
}

}  // namespace
}  // namespace cairn
