// HttpSession's methods against a loopback server: bodies of known and
// unknown length arrive whole, HEAD reads no body, response headers are kept,
// a failing body Reader ends the request.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "source/http.h"
#include "support/http_server.h"

namespace cairn {
namespace {

using test::FakeConnection;
using test::FakeRequest;

// Yields `data` a few bytes at a time, then fails if `fail_at_end`.
class TrickleReader final : public Reader {
 public:
  TrickleReader(std::string data, bool fail_at_end)
      : m_data(std::move(data)), m_fail(fail_at_end) {}
  Result<size_t> read(std::span<std::byte> buf) override {
    if (m_pos == m_data.size()) {
      if (m_fail) return fail(Errc::digest_mismatch, "layer.tar: not the diff_id");
      return 0;
    }
    size_t n = std::min({buf.size(), m_data.size() - m_pos, size_t{1000}});
    std::memcpy(buf.data(), m_data.data() + m_pos, n);
    m_pos += n;
    return n;
  }

 private:
  std::string m_data;
  size_t m_pos = 0;
  bool m_fail;
};

class HttpMethodsTest : public ::testing::Test {
 protected:
  HttpResult send(HttpMethod method, Reader* body, std::optional<std::uint64_t> size) {
    return m_session.perform(
        method, HttpRequest{"http://" + m_server.host() + "/x", {}, TlsVerify::yes, ""},
        HttpRequestBody{body, size}, nullptr, 1 << 20);
  }

  std::mutex m_mutex;
  FakeRequest m_last;
  test::FakeHttpServer m_server{[this](const FakeRequest& r, FakeConnection& conn) {
    {
      std::lock_guard lock(m_mutex);
      m_last = r;
    }
    if (r.method == "HEAD") {
      return conn.write(
          "HTTP/1.1 200 OK\r\nContent-Length: 99\r\nRange: 0-98\r\nConnection: close\r\n\r\n");
    }
    conn.respond(202, {{"Location", "/next?_state=1"}, {"Docker-Upload-UUID", "u1"}},
                 r.method + " " + std::to_string(r.body.size()));
  }};
  HttpSession m_session;
};

TEST_F(HttpMethodsTest, BodiesOfKnownAndUnknownSize) {
  std::string data(150000, 'a');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 26);
  for (HttpMethod method : {HttpMethod::post, HttpMethod::put, HttpMethod::patch}) {
    for (bool known : {true, false}) {
      TrickleReader body(data, false);
      HttpResult r =
          send(method, &body, known ? std::optional<std::uint64_t>(data.size()) : std::nullopt);
      SCOPED_TRACE(std::string(method_name(method)) + (known ? " known" : " chunked"));
      ASSERT_EQ(r.failure, HttpFailure::none) << r.error;
      EXPECT_EQ(r.response.status, 202);
      EXPECT_EQ(r.response.body, std::string(method_name(method)) + " 150000");
      EXPECT_EQ(r.response.header("location"), "/next?_state=1");
      EXPECT_EQ(r.response.header("docker-upload-uuid"), "u1");
      std::lock_guard lock(m_mutex);
      EXPECT_EQ(m_last.method, method_name(method));
      EXPECT_EQ(m_last.body, data);
      EXPECT_EQ(m_last.header("transfer-encoding"), known ? "" : "chunked");
      EXPECT_EQ(m_last.header("expect"), "");
    }
  }
}

TEST_F(HttpMethodsTest, EmptyBodiesAndHead) {
  HttpResult post = send(HttpMethod::post, nullptr, std::nullopt);
  ASSERT_EQ(post.failure, HttpFailure::none) << post.error;
  EXPECT_EQ(post.response.body, "POST 0");
  HttpResult put = send(HttpMethod::put, nullptr, std::nullopt);
  ASSERT_EQ(put.failure, HttpFailure::none) << put.error;
  EXPECT_EQ(put.response.body, "PUT 0");
  HttpResult head = send(HttpMethod::head, nullptr, std::nullopt);
  ASSERT_EQ(head.failure, HttpFailure::none) << head.error;
  EXPECT_EQ(head.response.status, 200);
  EXPECT_EQ(head.response.body, "");
  EXPECT_EQ(head.response.header("range"), "0-98");
}

TEST_F(HttpMethodsTest, FailingBodyReaderEndsTheRequest) {
  TrickleReader body(std::string(5000, 'z'), true);
  HttpResult r = send(HttpMethod::patch, &body, std::nullopt);
  EXPECT_EQ(r.failure, HttpFailure::body_failed);
  EXPECT_NE(r.error.find("layer.tar: not the diff_id"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace cairn
