// The registry source against a fake registry of the test's own (a small
// HTTP server on 127.0.0.1) that can demand bearer tokens, redirect blobs to
// another origin, serve wrong content and drop connections mid-body.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "oci/media_types.h"
#include "source/registry_source.h"
#include "support/http_server.h"
#include "support/registry_fixture.h"
#include "support/temp_dir_test.h"
#include "util/reader.h"

namespace cairn {
namespace {

using test::FakeConnection;
using test::FakeRequest;
using test::TestBlob;
using test::TestImage;
namespace mt = media_type;

constexpr const char* k_repo = "team/app";

class FakeRegistry {
 public:
  // Returns true when it answered the request itself.
  using Intercept = std::function<bool(const FakeRequest&, FakeConnection&)>;

  void add_image(const std::string& tag, const TestImage& image) {
    m_manifests.insert_or_assign(tag, image.manifest);
    m_manifests.insert_or_assign(image.manifest.digest.str(), image.manifest);
    m_blobs[image.config.digest.str()] = image.config.data;
    for (const TestBlob& layer : image.layers) m_blobs[layer.digest.str()] = layer.data;
  }
  void add_manifest(const std::string& ref, const TestBlob& doc) {
    m_manifests.insert_or_assign(ref, doc);
  }

  std::string host() const { return m_server.host(); }
  std::string origin() const { return "http://" + host(); }

  std::optional<std::string> required_token;
  std::optional<Credentials> token_user;
  Intercept intercept;
  std::atomic<int> token_requests{0};
  std::atomic<int> manifest_requests{0};

  void serve_blob(const FakeRequest& request, FakeConnection& conn, const std::string& data) {
    std::string range = request.header("range");
    if (range.starts_with("bytes=")) {
      size_t start = std::stoul(range.substr(6));
      conn.respond(206,
                   {{"Content-Range", "bytes " + std::to_string(start) + "-" +
                                          std::to_string(data.size() - 1) + "/" +
                                          std::to_string(data.size())}},
                   std::string_view(data).substr(start));
    } else {
      conn.respond(200, {{"Content-Type", "application/octet-stream"}}, data);
    }
  }

  const std::string& blob(const std::string& digest) const { return m_blobs.at(digest); }

 private:
  void handle(const FakeRequest& request, FakeConnection& conn) {
    if (request.target.starts_with("/token")) return handle_token(request, conn);
    if (intercept && intercept(request, conn)) return;
    if (required_token && request.header("authorization") != "Bearer " + *required_token) {
      std::string challenge = "Bearer realm=\"" + origin() +
                              "/token\",service=\"fake\",scope=\"repository:" + k_repo + ":pull\"";
      return conn.respond(401, {{"WWW-Authenticate", challenge}}, "{}");
    }
    std::string prefix = std::string("/v2/") + k_repo + "/";
    if (request.target.starts_with(prefix + "manifests/")) {
      ++manifest_requests;
      auto it = m_manifests.find(request.target.substr(prefix.size() + 10));
      if (it != m_manifests.end()) {
        return conn.respond(200,
                            {{"Content-Type", it->second.media_type},
                             {"Docker-Content-Digest", it->second.digest.str()}},
                            it->second.data);
      }
    } else if (request.target.starts_with(prefix + "blobs/")) {
      auto it = m_blobs.find(request.target.substr(prefix.size() + 6));
      if (it != m_blobs.end()) return serve_blob(request, conn, it->second);
    }
    conn.respond(404, {}, R"({"errors":[{"code":"NAME_UNKNOWN","message":"not here"}]})");
  }

  void handle_token(const FakeRequest& request, FakeConnection& conn) {
    ++token_requests;
    bool scoped = request.target.find("scope=repository%3Ateam%2Fapp%3Apull") != std::string::npos;
    if (!scoped) return conn.respond(400, {}, "bad scope");
    if (token_user &&
        request.header("authorization") !=
            "Basic " + base64_encode(token_user->username + ":" + token_user->password)) {
      return conn.respond(401, {}, "{}");
    }
    nlohmann::json body = {{"token", *required_token}, {"expires_in", 300}};
    conn.respond(200, {{"Content-Type", "application/json"}}, body.dump());
  }

  std::map<std::string, TestBlob> m_manifests;
  std::map<std::string, std::string> m_blobs;
  test::FakeHttpServer m_server{[this](const FakeRequest& r, FakeConnection& c) { handle(r, c); }};
};

class RegistryFakeTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    if (HasFatalFailure()) return;
    m_registry.add_image("v1", m_image);
    m_options.insecure_registries = {m_registry.host()};
    m_options.default_credentials = DefaultCredentials::ignore;
    m_options.retry_backoff = std::chrono::milliseconds(5);
    m_options.retries = 3;
  }

  Result<ImagePlan> plan(const std::string& ref = "v1") {
    std::string sep = ref.starts_with("sha256:") ? "@" : ":";
    return plan_registry_image("docker://" + m_registry.host() + "/" + k_repo + sep + ref,
                               SourceOptions{}, m_options);
  }
  void use_netrc(const std::string& user, const std::string& password) {
    std::string netrc =
        write_file("netrc", "machine 127.0.0.1 login " + user + " password " + password);
    m_options.credential_files = {{netrc, CredentialFormat::netrc}};
  }

  TestImage m_image =
      test::make_test_image(test::ManifestFlavor::oci,
                            {std::string(mt::k_oci_layer_gzip), std::string(mt::k_oci_layer_zstd),
                             std::string(mt::k_oci_layer)},
                            host_platform(), 200 << 10, "fake");
  FakeRegistry m_registry;
  RegistryOptions m_options;
};

Result<std::string> read_layer(const LayerDescriptor& layer) {
  ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader, layer.open());
  return read_all(*reader, 64 << 20);
}

void expect_layers(const ImagePlan& plan, const TestImage& image) {
  ASSERT_EQ(plan.layers.size(), image.layers.size());
  for (size_t i = 0; i < plan.layers.size(); ++i) {
    auto bytes = read_layer(plan.layers[i]);
    ASSERT_TRUE(bytes) << bytes.error().message();
    EXPECT_TRUE(*bytes == image.layers[i].data) << "layer " << i;
  }
}

TEST_F(RegistryFakeTest, BearerTokenFlowWithCredentialsCachesToken) {
  m_registry.required_token = "token-with-creds";
  m_registry.token_user = Credentials{"alice", "pw"};
  use_netrc("alice", "pw");
  auto p = plan();
  ASSERT_TRUE(p) << p.error().message();
  expect_layers(*p, m_image);
  auto again = plan();
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(m_registry.token_requests, 1);
}

TEST_F(RegistryFakeTest, AnonymousBearerToken) {
  m_registry.required_token = "anonymous-token";
  auto p = plan();
  ASSERT_TRUE(p) << p.error().message();
  expect_layers(*p, m_image);
  EXPECT_EQ(m_registry.token_requests, 1);
}

TEST_F(RegistryFakeTest, BearerWithWrongCredentialsFails) {
  m_registry.required_token = "t";
  m_registry.token_user = Credentials{"alice", "pw"};
  use_netrc("alice", "nope");
  auto p = plan();
  ASSERT_FALSE(p);
  EXPECT_TRUE(p.error().is(Errc::access_denied)) << p.error().message();
  EXPECT_NE(p.error().message().find("authentication failed for " + m_registry.host()),
            std::string::npos)
      << p.error().message();
}

TEST_F(RegistryFakeTest, RedirectToOtherHostDropsAuthorization) {
  m_registry.required_token = "redirect-token";
  std::atomic<int> storage_hits{0};
  std::atomic<bool> leaked{false};
  m_registry.intercept = [&](const FakeRequest& r, FakeConnection& c) {
    std::string blobs = std::string("/v2/") + k_repo + "/blobs/";
    if (r.target.starts_with("/storage/")) {
      ++storage_hits;
      if (!r.header("authorization").empty()) leaked = true;
      m_registry.serve_blob(r, c, m_registry.blob(r.target.substr(9)));
      return true;
    }
    if (r.target.starts_with(blobs) && r.header("authorization") == "Bearer redirect-token") {
      std::string port = m_registry.host().substr(m_registry.host().find(':') + 1);
      c.respond(
          307,
          {{"Location", "http://localhost:" + port + "/storage/" + r.target.substr(blobs.size())}},
          "");
      return true;
    }
    return false;
  };
  auto p = plan();
  ASSERT_TRUE(p) << p.error().message();
  expect_layers(*p, m_image);
  EXPECT_EQ(storage_hits, 4);  // config + 3 layers
  EXPECT_FALSE(leaked);
}

TEST_F(RegistryFakeTest, WrongBlobContentIsDigestMismatch) {
  std::string layer0 = m_image.layers[0].digest.str();
  m_registry.intercept = [&](const FakeRequest& r, FakeConnection& c) {
    if (!r.target.ends_with(layer0)) return false;
    std::string wrong = m_image.layers[0].data;
    wrong[wrong.size() / 2] ^= 1;
    m_registry.serve_blob(r, c, wrong);
    return true;
  };
  auto p = plan();
  ASSERT_TRUE(p) << p.error().message();
  auto bytes = read_layer(p->layers[0]);
  ASSERT_FALSE(bytes);
  EXPECT_TRUE(bytes.error().is(Errc::digest_mismatch)) << bytes.error().message();
  EXPECT_TRUE(read_layer(p->layers[1]));
}

TEST_F(RegistryFakeTest, WrongConfigOrManifestIsDigestMismatch) {
  TestImage other = test::make_test_image(test::ManifestFlavor::oci, {std::string(mt::k_oci_layer)},
                                          host_platform(), 10, "other");
  // The manifest asked for by digest is served with another's bytes.
  m_registry.add_manifest(m_image.manifest.digest.str(), other.manifest);
  auto by_digest = plan(m_image.manifest.digest.str());
  ASSERT_FALSE(by_digest);
  EXPECT_TRUE(by_digest.error().is(Errc::digest_mismatch)) << by_digest.error().message();

  std::string config = m_image.config.digest.str();
  m_registry.intercept = [&](const FakeRequest& r, FakeConnection& c) {
    if (!r.target.ends_with(config)) return false;
    c.respond(200, {}, other.config.data);
    return true;
  };
  auto p = plan();
  ASSERT_FALSE(p);
  EXPECT_TRUE(p.error().is(Errc::digest_mismatch)) << p.error().message();
}

// Sends the headers of a full answer and `keep` bytes of the body, then
// closes the connection.
void send_truncated(const FakeRequest& r, FakeConnection& c, const std::string& data, size_t keep) {
  std::string range = r.header("range");
  size_t start = range.starts_with("bytes=") ? std::stoul(range.substr(6)) : 0;
  std::string head = range.empty()
                         ? "HTTP/1.1 200 OK\r\n"
                         : "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes " +
                               std::to_string(start) + "-" + std::to_string(data.size() - 1) + "/" +
                               std::to_string(data.size()) + "\r\n";
  head += "Content-Length: " + std::to_string(data.size() - start) + "\r\n\r\n";
  c.write(head);
  c.write(std::string_view(data).substr(start, std::min(keep, data.size() - start)));
}

TEST_F(RegistryFakeTest, DroppedBlobDownloadResumesWithRange) {
  for (bool honor_range : {true, false}) {
    SCOPED_TRACE(honor_range ? "206" : "200");
    const std::string& layer = m_image.layers[1].data;
    std::string digest = m_image.layers[1].digest.str();
    std::mutex mutex;
    std::vector<std::string> ranges;
    m_registry.intercept = [&](const FakeRequest& r, FakeConnection& c) {
      if (!r.target.ends_with(digest)) return false;
      std::lock_guard lock(mutex);
      ranges.push_back(r.header("range"));
      if (ranges.size() == 1) {
        send_truncated(r, c, layer, 70000);
      } else if (honor_range) {
        m_registry.serve_blob(r, c, layer);
      } else {
        c.respond(200, {}, layer);
      }
      return true;
    };
    auto p = plan();
    ASSERT_TRUE(p) << p.error().message();
    auto bytes = read_layer(p->layers[1]);
    ASSERT_TRUE(bytes) << bytes.error().message();
    EXPECT_TRUE(*bytes == layer);
    EXPECT_EQ(ranges, (std::vector<std::string>{"", "bytes=70000-"}));
  }
}

TEST_F(RegistryFakeTest, BlobThatAlwaysDropsFailsClearly) {
  std::string digest = m_image.layers[2].digest.str();
  std::atomic<int> attempts{0};
  m_registry.intercept = [&](const FakeRequest& r, FakeConnection& c) {
    if (!r.target.ends_with(digest)) return false;
    ++attempts;
    send_truncated(r, c, m_image.layers[2].data, 1000);
    return true;
  };
  auto p = plan();
  ASSERT_TRUE(p) << p.error().message();
  auto bytes = read_layer(p->layers[2]);
  ASSERT_FALSE(bytes);
  EXPECT_TRUE(bytes.error().is_errno(EIO)) << bytes.error().message();
  EXPECT_NE(bytes.error().message().find("transfer failed at byte"), std::string::npos)
      << bytes.error().message();
  EXPECT_EQ(attempts, static_cast<int>(m_options.retries) + 1);
}

TEST_F(RegistryFakeTest, ManifestRetriedOnServiceUnavailable) {
  std::atomic<int> failures_left{2};
  m_registry.intercept = [&](const FakeRequest& r, FakeConnection& c) {
    if (r.target.find("/manifests/") == std::string::npos || failures_left-- <= 0) return false;
    c.respond(503, {}, "busy");
    return true;
  };
  auto p = plan();
  ASSERT_TRUE(p) << p.error().message();
  failures_left = 100;
  auto gave_up = plan();
  ASSERT_FALSE(gave_up);
  EXPECT_NE(gave_up.error().message().find("HTTP 503"), std::string::npos)
      << gave_up.error().message();
}

TEST_F(RegistryFakeTest, UnknownTagIsNotFoundAndSchema1IsUnsupported) {
  auto missing = plan("v2");
  ASSERT_FALSE(missing);
  EXPECT_TRUE(missing.error().is(Errc::not_found)) << missing.error().message();
  m_registry.add_manifest("old", test::make_blob(std::string(mt::k_docker_schema1_signed),
                                                 R"({"schemaVersion":1,"fsLayers":[]})"));
  auto old = plan("old");
  ASSERT_FALSE(old);
  EXPECT_TRUE(old.error().is(Errc::unsupported)) << old.error().message();
}

TEST_F(RegistryFakeTest, ReadersFetchInParallelWithBoundedBuffers) {
  m_options.stream_buffer = 16 << 10;
  m_options.max_parallel_fetches = 3;
  auto p = plan();
  ASSERT_TRUE(p) << p.error().message();
  // Each blob answer waits until all three requests are in (or 5 s pass).
  std::atomic<int> arrived{0};
  std::atomic<bool> all_concurrent{true};
  m_registry.intercept = [&](const FakeRequest& r, FakeConnection&) {
    if (r.target.find("/blobs/") == std::string::npos) return false;
    ++arrived;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (arrived < 3 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (arrived < 3) all_concurrent = false;
    return false;
  };
  std::vector<std::unique_ptr<Reader>> readers;
  std::vector<std::string> got(3);
  for (const LayerDescriptor& layer : p->layers) {
    auto reader = layer.open();
    ASSERT_TRUE(reader);
    readers.push_back(std::move(*reader));
  }
  for (bool progress = true; progress;) {
    progress = false;
    for (size_t i = 0; i < readers.size(); ++i) {
      std::byte buf[4096];
      auto n = readers[i]->read(buf);
      ASSERT_TRUE(n) << n.error().message();
      got[i].append(reinterpret_cast<const char*>(buf), *n);
      progress = progress || *n > 0;
    }
  }
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(got[i] == m_image.layers[i].data) << i;
  EXPECT_TRUE(all_concurrent);
}

TEST_F(RegistryFakeTest, ReaderDestroyedMidStreamCancels) {
  m_options.stream_buffer = 4 << 10;
  m_options.max_parallel_fetches = 1;
  auto p = plan();
  ASSERT_TRUE(p) << p.error().message();
  {
    auto reader = p->layers[0].open();
    ASSERT_TRUE(reader);
    std::byte buf[100];
    ASSERT_TRUE((*reader)->read(buf));
  }
  // The slot was released: the next layer still downloads.
  auto bytes = read_layer(p->layers[1]);
  ASSERT_TRUE(bytes) << bytes.error().message();
}

}  // namespace
}  // namespace cairn
