#include "source/http.h"

#include <algorithm>
#include <cctype>

#include "source/curl_library.h"

namespace cairn {
namespace {

constexpr long k_connect_timeout_s = 30;
// A transfer slower than 1 byte/s for this long is treated as dropped.
constexpr long k_stall_timeout_s = 60;

struct Transfer {
  const CurlLibrary* lib;
  CURL* curl;
  HttpBodySink* sink;
  size_t max_body;
  Reader* body = nullptr;
  HttpResponse response;
  bool begun = false;
  bool sink_refused = false;
  bool too_large = false;
  std::optional<Error> body_error;
};

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    t->response.headers.clear();  // a new response (after 100 Continue)
    return line.size();
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return line.size();
  std::string name(line.substr(0, colon));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  t->response.headers.emplace_back(std::move(name), trim(line.substr(colon + 1)));
  return line.size();
}

bool is_success(long status) {
  return status >= 200 && status < 300;
}

bool begin_sink(Transfer& t) {
  t.begun = true;
  t.lib->curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &t.response.status);
  if (!t.sink->begin(t.response)) t.sink_refused = true;
  return !t.sink_refused;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  long status = 0;
  t->lib->curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (t->sink && is_success(status)) {
    if (!t->begun && !begin_sink(*t)) return 0;
    if (!t->sink->write(std::as_bytes(std::span(data, n)))) {
      t->sink_refused = true;
      return 0;
    }
    return n;
  }
  size_t room = t->max_body - std::min(t->max_body, t->response.body.size());
  if (n > room) {
    if (is_success(status)) {
      t->too_large = true;
      return 0;
    }
    n = room;  // keep the start of an error body
    t->response.body.append(data, n);
    return size * count;
  }
  t->response.body.append(data, n);
  return n;
}

// Feeds the request body from its Reader.
size_t on_read(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (!t->body) return 0;
  auto n = t->body->read(std::as_writable_bytes(std::span(data, size * count)));
  if (!n) {
    t->body_error = std::move(n).error();
    return CURL_READFUNC_ABORT;
  }
  return *n;
}

HttpFailure classify(CURLcode code) {
  switch (code) {
    case CURLE_OK: return HttpFailure::none;
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SEND_FAIL_REWIND:  // a reused connection died under a body that cannot be replayed
      return HttpFailure::transient;
    default: return HttpFailure::permanent;
  }
}

curl_off_t body_size(const HttpRequestBody& body) {
  return body.size ? static_cast<curl_off_t>(*body.size) : curl_off_t{-1};
}

// The method and how its body is sent. curl sends an upload of unknown size
// chunked (HTTP/1.1).
void configure_method(const Transfer& t, HttpMethod method, const HttpRequestBody& body) {
  auto set = [&t](CURLoption option, auto value) {
    t.lib->curl_easy_setopt(t.curl, option, value);
  };
  switch (method) {
    case HttpMethod::get: return;
    case HttpMethod::head: set(CURLOPT_NOBODY, 1L); return;
    case HttpMethod::post:
      set(CURLOPT_POST, 1L);
      set(CURLOPT_POSTFIELDSIZE_LARGE, body.reader ? body_size(body) : curl_off_t{0});
      break;
    case HttpMethod::put:
    case HttpMethod::patch:
      set(CURLOPT_UPLOAD, 1L);
      set(CURLOPT_INFILESIZE_LARGE, body.reader ? body_size(body) : curl_off_t{0});
      if (method == HttpMethod::patch) set(CURLOPT_CUSTOMREQUEST, "PATCH");
      break;
  }
  set(CURLOPT_READFUNCTION, on_read);
  set(CURLOPT_READDATA, &t);
}

void configure(const Transfer& t, const HttpRequest& request, curl_slist* headers) {
  auto set = [&t](CURLoption option, auto value) {
    t.lib->curl_easy_setopt(t.curl, option, value);
  };
  t.lib->curl_easy_reset(t.curl);
  set(CURLOPT_URL, request.url.c_str());
  set(CURLOPT_HTTPHEADER, headers);
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_FOLLOWLOCATION, 0L);
  set(CURLOPT_USERAGENT, "cairn/0.1");
  set(CURLOPT_CONNECTTIMEOUT, k_connect_timeout_s);
  set(CURLOPT_LOW_SPEED_LIMIT, 1L);
  set(CURLOPT_LOW_SPEED_TIME, k_stall_timeout_s);
  long verify = request.tls == TlsVerify::yes ? 1L : 0L;
  set(CURLOPT_SSL_VERIFYPEER, verify);
  set(CURLOPT_SSL_VERIFYHOST, verify * 2);
  set(CURLOPT_HEADERFUNCTION, on_header);
  set(CURLOPT_HEADERDATA, &t);
  set(CURLOPT_WRITEFUNCTION, on_body);
  set(CURLOPT_WRITEDATA, &t);
  if (!request.unix_socket.empty()) set(CURLOPT_UNIX_SOCKET_PATH, request.unix_socket.c_str());
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

void HttpSession::CurlDeleter::operator()(void* handle) const {
  // A handle exists only once the library loaded.
  (*curl_library())->curl_easy_cleanup(static_cast<CURL*>(handle));
}

HttpSession::HttpSession() = default;

HttpSession::~HttpSession() = default;

std::string_view method_name(HttpMethod method) {
  switch (method) {
    case HttpMethod::get: return "GET";
    case HttpMethod::head: return "HEAD";
    case HttpMethod::post: return "POST";
    case HttpMethod::put: return "PUT";
    case HttpMethod::patch: return "PATCH";
  }
  return "?";
}

HttpResult HttpSession::get(const HttpRequest& request, HttpBodySink* sink, size_t max_body) {
  return perform(HttpMethod::get, request, {}, sink, max_body);
}

HttpResult HttpSession::perform(HttpMethod method, const HttpRequest& request,
                                const HttpRequestBody& body, HttpBodySink* sink, size_t max_body) {
  CHECK_MSG(!body.reader || (method != HttpMethod::get && method != HttpMethod::head),
            "a GET or HEAD with a body");
  auto lib = curl_library();
  if (!lib) return {HttpFailure::permanent, lib.error().message(), {}};
  if (!m_curl) {
    m_curl.reset((*lib)->curl_easy_init());
    CHECK_MSG(m_curl != nullptr, "curl_easy_init failed");
  }
  Transfer t{*lib,        static_cast<CURL*>(m_curl.get()),
             sink,        max_body,
             body.reader, {},
             false,       false,
             false,       std::nullopt};
  auto free_list = (*lib)->curl_slist_free_all;
  std::unique_ptr<curl_slist, decltype(free_list)> headers(nullptr, free_list);
  std::vector<std::string> lines = request.headers;
  if (method == HttpMethod::post || method == HttpMethod::put || method == HttpMethod::patch) {
    lines.emplace_back("Expect:");  // no 100-continue round trip
  }
  for (const std::string& h : lines) {
    headers.reset(t.lib->curl_slist_append(headers.release(), h.c_str()));
    CHECK_MSG(headers != nullptr, "curl_slist_append failed");
  }
  char error[CURL_ERROR_SIZE] = {};
  configure(t, request, headers.get());
  configure_method(t, method, body);
  t.lib->curl_easy_setopt(t.curl, CURLOPT_ERRORBUFFER, error);
  CURLcode code = t.lib->curl_easy_perform(t.curl);
  HttpResult result;
  t.lib->curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &t.response.status);
  char* location = nullptr;
  if (t.lib->curl_easy_getinfo(t.curl, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location) {
    t.response.redirect_url = location;
  }
  if (code == CURLE_OK && sink && is_success(t.response.status) && !t.begun) begin_sink(t);
  result.failure = t.body_error     ? HttpFailure::body_failed
                   : t.sink_refused ? HttpFailure::aborted
                   : t.too_large    ? HttpFailure::too_large
                                    : classify(code);
  if (t.body_error) {
    result.error = t.body_error->message();
  } else if (result.failure != HttpFailure::none) {
    result.error = *error ? std::string(error) : std::string(t.lib->curl_easy_strerror(code));
  }
  t.lib->curl_easy_setopt(t.curl, CURLOPT_ERRORBUFFER, nullptr);
  result.response = std::move(t.response);
  return result;
}

std::string url_origin(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  size_t end = url.find_first_of("/?#", scheme + 3);
  return std::string(url.substr(0, end));
}

std::string resolve_url(std::string_view base, std::string_view location) {
  if (location.find("://") != std::string_view::npos) return std::string(location);
  if (location.starts_with('/')) return url_origin(base) + std::string(location);
  std::string_view dir = base.substr(0, base.find_first_of("?#"));
  size_t slash = dir.rfind('/');
  size_t scheme = dir.find("://");
  if (slash == std::string_view::npos || (scheme != std::string_view::npos && slash < scheme + 3)) {
    return std::string(dir) + "/" + std::string(location);
  }
  return std::string(dir.substr(0, slash + 1)) + std::string(location);
}

std::string url_escape(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      static constexpr char k_hex[] = "0123456789ABCDEF";
      out += '%';
      out += k_hex[c >> 4];
      out += k_hex[c & 15];
    }
  }
  return out;
}

}  // namespace cairn
