// Minimal HTTP/1.1 client over libcurl's easy interface, for the registry
// source and push. One HttpSession is one curl handle (connections are reused
// across requests of the session); a session is used by one thread at a time.
//
// Methods: GET, HEAD (no body is read), and POST, PUT, PATCH with a request
// body streamed from a Reader as curl asks for it (nothing is buffered here).
// A body of known size goes with Content-Length; of unknown size with
// "Transfer-Encoding: chunked". "Expect: 100-continue" is never sent. A body
// Reader that fails ends the transfer with HttpFailure::body_failed.
//
// Redirects are not followed here: the caller sees 3xx responses (with the
// absolute target in redirect_url) and decides which headers go with the
// next hop. Response bodies of 2xx responses go to a sink when one is given;
// every other body is kept (up to max_body bytes) for error messages.
// HTTPS uses the system CA store; TlsVerify::no disables verification.
// libcurl is loaded by the first request (source/curl_library.h); when it
// cannot be, the request fails with HttpFailure::permanent saying why.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.h"
#include "util/reader.h"

namespace cairn {

enum class TlsVerify { yes, no };

enum class HttpMethod { get, head, post, put, patch };
// "GET", "HEAD", …
std::string_view method_name(HttpMethod method);

// What a POST, PUT or PATCH sends: `reader` (not owned; it must outlive the
// request) yields the bytes; `size` is their count when known.
struct HttpRequestBody {
  Reader* reader = nullptr;
  std::optional<std::uint64_t> size;
};

struct HttpRequest {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  TlsVerify tls = TlsVerify::yes;
  std::string unix_socket;  // connect to this socket instead of the URL's host (Docker's API)
};

struct HttpResponse {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercase
  std::string body;
  std::string redirect_url;  // absolute Location of a 3xx response

  // The first header of that (lowercase) name.
  std::optional<std::string> header(std::string_view name) const;
};

// Receives the body of a 2xx response.
class HttpBodySink {
 public:
  virtual ~HttpBodySink() = default;
  // Called once, when the body starts (or at the end for an empty body);
  // false aborts the transfer.
  virtual bool begin(const HttpResponse& response) = 0;
  // false aborts the transfer.
  virtual bool write(std::span<const std::byte> data) = 0;
};

enum class HttpFailure {
  none,         // a complete response was received
  transient,    // connection refused/reset/dropped, timeout: worth retrying
  permanent,    // name resolution, TLS, protocol errors
  aborted,      // the sink returned false
  too_large,    // a body without sink exceeded max_body
  body_failed,  // the request body's Reader failed (error says why)
};

struct HttpResult {
  HttpFailure failure = HttpFailure::none;
  std::string error;  // curl's message when failure != none
  HttpResponse response;
};

class HttpSession {
 public:
  HttpSession();
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  // GETs request.url. The body of a 2xx response goes to `sink` when given,
  // else into response.body, failing with too_large above max_body.
  HttpResult get(const HttpRequest& request, HttpBodySink* sink, size_t max_body);
  // Any method; `body` is sent for POST, PUT and PATCH (none: an empty body)
  // and must be empty for GET and HEAD. Responses as for get().
  HttpResult perform(HttpMethod method, const HttpRequest& request, const HttpRequestBody& body,
                     HttpBodySink* sink, size_t max_body);

 private:
  struct CurlDeleter {
    void operator()(void* handle) const;
  };
  std::unique_ptr<void, CurlDeleter> m_curl;
};

// The "scheme://host[:port]" part of a URL.
std::string url_origin(std::string_view url);
// A Location header's target made absolute: absolute URLs stay as they are,
// "/path" is taken relative to base's origin, anything else relative to
// base's directory (RFC 3986 without dot segments).
std::string resolve_url(std::string_view base, std::string_view location);
// Percent-encodes a query value.
std::string url_escape(std::string_view text);

}  // namespace cairn
