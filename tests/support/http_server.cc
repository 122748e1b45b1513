#include "support/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace cairn::test {
namespace {

constexpr size_t k_max_request_head = 64 << 10;

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 307: return "Temporary Redirect";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

UniqueFd listen_loopback(int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return {};
  if (::listen(fd.get(), 64) != 0) return {};
  return fd;
}

int bound_port(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

// Reads the request head; false on TLS, EOF or garbage.
bool read_head(int fd, std::string& head) {
  char buf[4096];
  while (head.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0 || head.size() > k_max_request_head) return false;
    if (head.empty() && buf[0] == 0x16) return false;  // TLS ClientHello
    head.append(buf, static_cast<size_t>(n));
  }
  return true;
}

FakeRequest parse_head(const std::string& head) {
  FakeRequest request;
  size_t line_end = head.find("\r\n");
  std::string line = head.substr(0, line_end);
  size_t sp1 = line.find(' ');
  size_t sp2 = line.find(' ', sp1 + 1);
  request.method = line.substr(0, sp1);
  request.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t pos = line_end + 2;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    if (end == pos || end == std::string::npos) break;
    std::string h = head.substr(pos, end - pos);
    size_t colon = h.find(':');
    if (colon != std::string::npos) {
      std::string name = h.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t v = h.find_first_not_of(' ', colon + 1);
      request.headers[name] = v == std::string::npos ? "" : h.substr(v);
    }
    pos = end + 2;
  }
  return request;
}

// Takes `size` bytes from `pending` (what followed the head), reading more
// from the socket as needed; false if the client went away first.
bool take(int fd, std::string& pending, size_t size, std::string& out) {
  char buf[65536];
  while (pending.size() < size) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    pending.append(buf, static_cast<size_t>(n));
  }
  out.append(pending, 0, size);
  pending.erase(0, size);
  return true;
}

bool take_line(int fd, std::string& pending, std::string& line) {
  char buf[4096];
  while (pending.find("\r\n") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    pending.append(buf, static_cast<size_t>(n));
  }
  size_t end = pending.find("\r\n");
  line = pending.substr(0, end);
  pending.erase(0, end + 2);
  return true;
}

// The request body after the head: Content-Length bytes, or chunked.
bool read_body(int fd, std::string pending, FakeRequest& request) {
  if (request.header("transfer-encoding") == "chunked") {
    for (std::string line;;) {
      if (!take_line(fd, pending, line)) return false;
      size_t size = std::stoul(line, nullptr, 16);
      std::string crlf;
      if (size == 0) return take_line(fd, pending, line);  // no trailers
      if (!take(fd, pending, size, request.body) || !take(fd, pending, 2, crlf)) return false;
    }
  }
  std::string length = request.header("content-length");
  return length.empty() || take(fd, pending, std::stoul(length), request.body);
}

}  // namespace

void bypass_proxy_for_loopback() {
  for (const char* name : {"no_proxy", "NO_PROXY"}) {
    const char* value = std::getenv(name);
    std::string list = value && *value ? std::string(value) + "," : std::string();
    if (list.find("127.0.0.1,") == std::string::npos)
      ::setenv(name, (list + "127.0.0.1,localhost").c_str(), 1);
  }
}

std::string FakeRequest::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

void FakeConnection::write(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(m_fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void FakeConnection::respond(int status, const std::map<std::string, std::string>& headers,
                             std::string_view body) {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
  for (const auto& [name, value] : headers) head += name + ": " + value + "\r\n";
  head += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  write(head);
  write(body);
}

FakeHttpServer::FakeHttpServer(Handler handler)
    : m_handler(std::move(handler)), m_listen(listen_loopback(0)) {
  bypass_proxy_for_loopback();
  m_port = m_listen ? bound_port(m_listen.get()) : 0;
  m_thread = std::thread([this] { serve(); });
}

FakeHttpServer::~FakeHttpServer() {
  m_stop = true;
  m_thread.join();
  for (std::thread& t : m_connections) t.join();
}

void FakeHttpServer::serve() {
  while (!m_stop && m_listen) {
    pollfd p{m_listen.get(), POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    auto conn =
        std::make_shared<UniqueFd>(::accept4(m_listen.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (*conn) m_connections.emplace_back([this, conn] { handle(conn->get()); });
  }
}

void FakeHttpServer::handle(int fd) {
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string head;
  if (!read_head(fd, head)) return;
  size_t end = head.find("\r\n\r\n") + 4;
  FakeRequest request = parse_head(head.substr(0, end));
  if (!read_body(fd, head.substr(end), request)) return;
  FakeConnection connection(fd);
  m_handler(request, connection);
  ::shutdown(fd, SHUT_WR);
}

int free_port() {
  UniqueFd fd = listen_loopback(0);
  return fd ? bound_port(fd.get()) : 0;
}

}  // namespace cairn::test
