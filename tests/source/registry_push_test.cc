// BlobPusher against a fake registry of the test's own that keeps upload
// sessions like docker-distribution does (Location with a new state per
// answer, Range 0-N, Content-Range checked on PATCH) and can fail requests
// on demand: drop a PATCH or PUT mid-body (keeping what arrived, or not),
// answer 503, forget a session.
#include "source/registry_push.h"

#include <gtest/gtest.h>

#include <mutex>
#include <regex>
#include <set>

#include "support/http_server.h"
#include "util/reader.h"

namespace cairn {
namespace {

using test::FakeConnection;
using test::FakeRequest;

constexpr std::string_view k_prefix = "/v2/team/app/";

class FakeUploadRegistry {
 public:
  // How the next PATCH or PUT with a body fails: kept bytes of the body are
  // added to the session, then the connection is closed without an answer.
  struct Cut {
    std::string method;        // "PATCH" or "PUT"
    size_t keep = 0;           // body bytes the session keeps
    bool unavailable = false;  // answer 503 instead of dropping
  };

  std::string host() const { return m_server.host(); }

  std::mutex mutex;
  std::vector<std::string> log;  // "METHOD PATH [Content-Range]"
  std::map<std::string, std::string> blobs;
  std::map<std::string, std::pair<std::string, std::string>> manifests;  // tag -> type, bytes
  std::set<std::string> mountable;
  std::optional<Cut> cut;
  bool forget_sessions = false;  // a status GET finds no session

 private:
  void handle(const FakeRequest& r, FakeConnection& conn) {
    std::lock_guard lock(mutex);
    std::string path = r.target.substr(0, r.target.find('?'));
    log.push_back(r.method + " " + path.substr(std::min(path.size(), k_prefix.size())) +
                  (r.header("content-range").empty() ? "" : " " + r.header("content-range")));
    std::string rest = path.substr(k_prefix.size());
    if (rest.starts_with("blobs/uploads/")) return upload(r, conn, rest.substr(14));
    if (rest.starts_with("blobs/") && r.method == "HEAD") {
      bool have = blobs.contains(rest.substr(6));
      return conn.write(
          have ? "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n"
               : "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    }
    if (rest.starts_with("manifests/") && r.method == "PUT") {
      manifests[rest.substr(10)] = {r.header("content-type"), r.body};
      return conn.respond(201, {{"Docker-Content-Digest", Digest::of(r.body).str()}}, "");
    }
    conn.respond(404, {}, R"({"errors":[{"code":"NAME_UNKNOWN"}]})");
  }

  std::string query(const FakeRequest& r, const std::string& key) {
    size_t at = r.target.find(key + "=");
    if (at == std::string::npos) return "";
    std::string value = r.target.substr(at + key.size() + 1);
    value = value.substr(0, value.find('&'));
    for (auto [code, c] : {std::pair{"%3A", ":"}, std::pair{"%2F", "/"}}) {
      for (size_t pct; (pct = value.find(code)) != std::string::npos;) value.replace(pct, 3, c);
    }
    return value;
  }

  void answer_state(FakeConnection& conn, int status, const std::string& uuid) {
    size_t size = m_sessions[uuid].size();
    conn.respond(status,
                 {{"Location", std::string(k_prefix) + "blobs/uploads/" + uuid +
                                   "?_state=" + std::to_string(++m_state)},
                  {"Range", "0-" + std::to_string(size == 0 ? 0 : size - 1)},
                  {"Docker-Upload-UUID", uuid}},
                 "");
  }

  bool injected_failure(const FakeRequest& r, FakeConnection& conn, const std::string& uuid) {
    if (!cut || cut->method != r.method || r.body.empty()) return false;
    Cut c = *cut;
    cut.reset();
    if (c.unavailable) {
      conn.respond(503, {}, "");
      return true;
    }
    m_sessions[uuid] += r.body.substr(0, c.keep);
    return true;  // no answer: the connection closes
  }

  void upload(const FakeRequest& r, FakeConnection& conn, const std::string& uuid) {
    if (r.method == "POST") {
      std::string mount = query(r, "mount");
      if (!mount.empty() && mountable.contains(mount) && query(r, "from") == "lib/base") {
        blobs[mount] = "mounted";
        return conn.respond(201, {{"Docker-Content-Digest", mount}}, "");
      }
      std::string id = "u" + std::to_string(++m_uuid);
      m_sessions[id];
      return answer_state(conn, 202, id);
    }
    if (!m_sessions.contains(uuid) || (forget_sessions && r.method == "GET")) {
      return conn.respond(404, {}, R"({"errors":[{"code":"BLOB_UPLOAD_UNKNOWN"}]})");
    }
    if (injected_failure(r, conn, uuid)) return;
    std::string& data = m_sessions[uuid];
    if (r.method == "GET") return answer_state(conn, 204, uuid);
    std::string range = r.header("content-range");
    if (r.method == "PATCH" && !range.empty() && std::stoul(range) != data.size()) {
      return conn.respond(416, {}, R"({"errors":[{"code":"BLOB_UPLOAD_INVALID"}]})");
    }
    data += r.body;
    if (r.method == "PATCH") return answer_state(conn, 202, uuid);
    std::string digest = query(r, "digest");
    if (Digest::of(data).str() != digest) {
      return conn.respond(400, {}, R"({"errors":[{"code":"DIGEST_INVALID"}]})");
    }
    blobs[digest] = data;
    m_sessions.erase(uuid);
    conn.respond(201, {{"Docker-Content-Digest", digest}}, "");
  }

  std::map<std::string, std::string> m_sessions;
  int m_uuid = 0;
  int m_state = 0;
  test::FakeHttpServer m_server{[this](const FakeRequest& r, FakeConnection& c) { handle(r, c); }};
};

std::string pattern(size_t size) {
  std::string data(size, '\0');
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
  return data;
}

class RegistryPushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegistryOptions options;
    options.insecure_registries = {m_registry.host()};
    options.default_credentials = DefaultCredentials::ignore;
    options.retry_backoff = std::chrono::milliseconds(1);
    options.retries = 3;
    auto ref = parse_registry_reference(m_registry.host() + "/team/app:v1");
    ASSERT_TRUE(ref);
    auto client = RegistryClient::connect(*ref, options, RegistryAccess::push);
    ASSERT_TRUE(client) << client.error().message();
    m_client = *client;
  }

  Result<PushedBlob> push(const std::string& data, std::optional<Digest> expected = std::nullopt) {
    BlobPusher pusher(m_client, k_chunk);
    MemoryReader reader(data);
    auto pushed = pusher.upload(reader, expected, std::nullopt);
    m_resumes = pusher.counts().resumes;
    return pushed;
  }

  std::vector<std::string> log() {
    std::lock_guard lock(m_registry.mutex);
    std::vector<std::string> out;
    for (const std::string& line : m_registry.log) {
      out.push_back(std::regex_replace(line, std::regex("uploads/(u[0-9]+)?"),
                                       "uploads"));  // drop session ids
    }
    m_registry.log.clear();
    return out;
  }

  static constexpr std::uint64_t k_chunk = 64 << 10;
  FakeUploadRegistry m_registry;
  std::shared_ptr<RegistryClient> m_client;
  unsigned m_resumes = 0;
};

TEST_F(RegistryPushTest, SmallBlobGoesMonolithic) {
  std::string data = pattern(1000);
  log();
  auto pushed = push(data, Digest::of(data));
  ASSERT_TRUE(pushed) << pushed.error().message();
  EXPECT_EQ(pushed->digest, Digest::of(data));
  EXPECT_EQ(pushed->size, 1000u);
  EXPECT_EQ(m_registry.blobs.at(pushed->digest.str()), data);
  EXPECT_EQ(log(), (std::vector<std::string>{"POST blobs/uploads", "PUT blobs/uploads"}));
}

TEST_F(RegistryPushTest, BigBlobGoesInChunks) {
  std::string data = pattern(3 * k_chunk + 123);
  log();
  auto pushed = push(data);
  ASSERT_TRUE(pushed) << pushed.error().message();
  EXPECT_EQ(m_registry.blobs.at(Digest::of(data).str()), data);
  EXPECT_EQ(log(),
            (std::vector<std::string>{"POST blobs/uploads", "PATCH blobs/uploads 0-65535",
                                      "PATCH blobs/uploads 65536-131071",
                                      "PATCH blobs/uploads 131072-196607", "PUT blobs/uploads"}));
}

TEST_F(RegistryPushTest, ExactMultipleOfTheChunkEndsWithAnEmptyPut) {
  std::string data = pattern(2 * k_chunk);
  log();
  auto pushed = push(data);
  ASSERT_TRUE(pushed) << pushed.error().message();
  EXPECT_EQ(m_registry.blobs.at(Digest::of(data).str()), data);
  EXPECT_EQ(log().size(), 4u);  // POST, 2 PATCH, PUT
}

TEST_F(RegistryPushTest, DroppedChunkResumesWhereTheRegistryStands) {
  std::string data = pattern(3 * k_chunk + 5);
  m_registry.cut = FakeUploadRegistry::Cut{"PATCH", 1000, false};
  log();
  auto pushed = push(data);
  ASSERT_TRUE(pushed) << pushed.error().message();
  EXPECT_EQ(m_registry.blobs.at(Digest::of(data).str()), data);
  EXPECT_EQ(m_resumes, 1u);
  EXPECT_EQ(log(), (std::vector<std::string>{
                       "POST blobs/uploads", "PATCH blobs/uploads 0-65535", "GET blobs/uploads",
                       "PATCH blobs/uploads 1000-65535", "PATCH blobs/uploads 65536-131071",
                       "PATCH blobs/uploads 131072-196607", "PUT blobs/uploads"}));
}

TEST_F(RegistryPushTest, ChunkLostWholeIsSentAgainFromItsStart) {
  std::string data = pattern(2 * k_chunk + 5);
  BlobPusher pusher(m_client, k_chunk);
  MemoryReader reader(data);
  log();
  // the first PATCH is dropped before any of it arrives
  m_registry.cut = FakeUploadRegistry::Cut{"PATCH", 0, false};
  auto pushed = pusher.upload(reader, std::nullopt, std::nullopt);
  ASSERT_TRUE(pushed) << pushed.error().message();
  EXPECT_EQ(m_registry.blobs.at(Digest::of(data).str()), data);
  EXPECT_EQ(log(),
            (std::vector<std::string>{"POST blobs/uploads", "PATCH blobs/uploads 0-65535",
                                      "GET blobs/uploads", "PATCH blobs/uploads 0-65535",
                                      "PATCH blobs/uploads 65536-131071", "PUT blobs/uploads"}));
}

TEST_F(RegistryPushTest, FinalPutDroppedAndUnavailableResumes) {
  std::string data = pattern(k_chunk + 300);
  m_registry.cut = FakeUploadRegistry::Cut{"PUT", 100, false};
  auto pushed = push(data);
  ASSERT_TRUE(pushed) << pushed.error().message();
  EXPECT_EQ(m_registry.blobs.at(Digest::of(data).str()), data);
  EXPECT_EQ(m_resumes, 1u);

  std::string small = pattern(500);
  m_registry.cut = FakeUploadRegistry::Cut{"PUT", 0, true};
  log();
  pushed = push(small);
  ASSERT_TRUE(pushed) << pushed.error().message();
  EXPECT_EQ(m_registry.blobs.at(Digest::of(small).str()), small);
  EXPECT_EQ(log(), (std::vector<std::string>{"POST blobs/uploads", "PUT blobs/uploads",
                                             "GET blobs/uploads", "PUT blobs/uploads"}));
}

TEST_F(RegistryPushTest, LostSessionFailsNamingTheBlob) {
  std::string data = pattern(2 * k_chunk);
  m_registry.cut = FakeUploadRegistry::Cut{"PATCH", 0, true};
  m_registry.forget_sessions = true;  // the GET after the 503 finds nothing
  BlobPusher pusher(m_client, k_chunk);
  MemoryReader reader(data);
  auto pushed = pusher.upload(reader, Digest::of(data), std::nullopt);
  ASSERT_FALSE(pushed);
  EXPECT_NE(pushed.error().message().find("upload of " + Digest::of(data).str()), std::string::npos)
      << pushed.error().message();
  EXPECT_TRUE(m_registry.blobs.empty());
}

TEST_F(RegistryPushTest, WrongExpectedDigestSendsNoPut) {
  std::string data = pattern(300);
  log();
  auto pushed = push(data, Digest::of("something else"));
  ASSERT_FALSE(pushed);
  EXPECT_TRUE(pushed.error().is(Errc::digest_mismatch)) << pushed.error().message();
  EXPECT_EQ(log(), (std::vector<std::string>{"POST blobs/uploads"}));
  EXPECT_TRUE(m_registry.blobs.empty());
}

TEST_F(RegistryPushTest, ExistsMountAndManifest) {
  BlobPusher pusher(m_client, k_chunk);
  std::string data = pattern(10);
  Digest digest = Digest::of(data);
  auto absent = pusher.exists(digest);
  ASSERT_TRUE(absent) << absent.error().message();
  EXPECT_FALSE(*absent);

  m_registry.mountable.insert(digest.str());
  auto mounted = pusher.mount(digest, "lib/base");
  ASSERT_TRUE(mounted) << mounted.error().message();
  EXPECT_FALSE(*mounted);
  auto present = pusher.exists(digest);
  ASSERT_TRUE(present);
  EXPECT_TRUE(*present);

  Digest other = Digest::of("not mountable");
  auto session = pusher.mount(other, "lib/base");
  ASSERT_TRUE(session) << session.error().message();
  ASSERT_TRUE(*session);  // 202: an upload session to continue
  MemoryReader reader("not mountable");
  auto pushed = pusher.upload(reader, other, std::move(*session));
  ASSERT_TRUE(pushed) << pushed.error().message();
  EXPECT_EQ(m_registry.blobs.at(other.str()), "not mountable");

  std::string manifest = R"({"schemaVersion":2})";
  auto put = pusher.put_manifest("v1", "application/vnd.oci.image.manifest.v1+json", manifest);
  ASSERT_TRUE(put) << put.error().message();
  EXPECT_EQ(*put, Digest::of(manifest));
  EXPECT_EQ(m_registry.manifests.at("v1"),
            std::make_pair(std::string("application/vnd.oci.image.manifest.v1+json"), manifest));
}

}  // namespace
}  // namespace cairn
