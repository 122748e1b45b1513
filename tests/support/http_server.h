// A tiny HTTP/1.1 server on 127.0.0.1 for tests: a thread per connection
// (the handler must be thread-safe), one request per connection (every response closes the
// connection), the request body read whole before the handler runs (Content-Length or chunked), a
// handler that writes raw bytes so that tests can misbehave on purpose (drop mid-body, send the
// wrong content). A connection that starts with a TLS handshake is closed at
// once. The destructor stops the thread and closes the socket.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "util/unique_fd.h"

namespace cairn::test {

struct FakeRequest {
  std::string method;
  std::string target;                          // path and query
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;

  std::string header(const std::string& name) const;
};

class FakeConnection {
 public:
  explicit FakeConnection(int fd) : m_fd(fd) {}
  // Best effort: a client that went away is not an error here.
  void write(std::string_view data);
  // A complete response with Content-Length and "Connection: close".
  void respond(int status, const std::map<std::string, std::string>& headers,
               std::string_view body);

 private:
  int m_fd;
};

class FakeHttpServer {
 public:
  using Handler = std::function<void(const FakeRequest&, FakeConnection&)>;

  explicit FakeHttpServer(Handler handler);
  ~FakeHttpServer();
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  int port() const { return m_port; }
  std::string host() const { return "127.0.0.1:" + std::to_string(m_port); }

 private:
  void serve();
  void handle(int fd);

  Handler m_handler;
  UniqueFd m_listen;
  int m_port = 0;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
  std::vector<std::thread> m_connections;  // joined by the destructor
};

// Adds 127.0.0.1 and localhost to no_proxy/NO_PROXY so that a proxy set in
// the environment does not capture the tests' loopback servers.
void bypass_proxy_for_loopback();

// A free TCP port on 127.0.0.1 (bound and released; racy but fine for tests).
int free_port();

}  // namespace cairn::test
