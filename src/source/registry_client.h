// A client for one repository of one registry (OCI distribution API v2).
//
// It owns the authentication state of the repository: after a 401 it reads
// the WWW-Authenticate challenge, then sends Basic credentials or fetches a
// Bearer token from the challenge's realm (with the credentials, if any) and
// retries once. Tokens are cached process-wide, keyed by realm, service,
// scope and user, until expires_in (default 60 s) runs out. The registry's
// Authorization header is sent to the registry's origin only: a redirect to
// blob storage on another host goes without it.
//
// A client made for RegistryAccess::push asks its tokens for "pull,push" on
// the repository (token_scope_for), whatever the challenge named.
//
// Thread-safety: exchange() and send() may be called from several threads at
// once, each with its own HttpSession; get_manifest()/get_blob() use the
// client's own session under a lock.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/digest.h"
#include "source/http.h"
#include "source/registry_auth.h"
#include "source/registry_options.h"
#include "source/registry_reference.h"
#include "util/error.h"

namespace cairn {

// A counting semaphore whose waits give up when `cancelled` says so.
class FetchSlots {
 public:
  explicit FetchSlots(unsigned count) : m_free(count == 0 ? 1 : count) {}
  template <typename Pred>
  bool acquire(Pred cancelled) {
    std::unique_lock lock(m_mutex);
    while (m_free == 0) {
      if (cancelled()) return false;
      m_cv.wait_for(lock, std::chrono::milliseconds(50));
    }
    --m_free;
    return true;
  }
  void release() {
    std::lock_guard lock(m_mutex);
    ++m_free;
    m_cv.notify_one();
  }

 private:
  std::mutex m_mutex;
  std::condition_variable m_cv;
  unsigned m_free;
};

// A request to the registry. `body`, when set, opens the request body; it is
// called again for every attempt (after an authentication challenge or a
// redirect), so it must give the same bytes each time.
struct RegistryRequest {
  HttpMethod method = HttpMethod::get;
  std::string url;
  std::vector<std::string> headers;
  std::function<std::unique_ptr<Reader>()> body;
  std::optional<std::uint64_t> body_size;
};

class RegistryClient {
 public:
  struct Document {
    std::string body;
    std::string content_type;
    std::optional<std::string> docker_content_digest;
  };

  // Picks the scheme (HTTPS, or for insecure registries HTTPS without
  // verification falling back to plain HTTP) and looks up credentials.
  static Result<std::shared_ptr<RegistryClient>> connect(
      RegistryReference ref, RegistryOptions options, RegistryAccess access = RegistryAccess::pull);

  const RegistryReference& reference() const { return m_ref; }
  const RegistryOptions& options() const { return m_options; }
  FetchSlots& slots() { return m_slots; }

  // GET /v2/REPO/manifests/REF with the manifest Accept types, retried.
  Result<Document> get_manifest(std::string_view manifest_ref);
  // GET a blob into memory, retried; Errc::bad_input above max_size.
  Result<std::string> get_blob(const Digest& digest, size_t max_size);
  std::string blob_url(const Digest& digest) const;
  // "SCHEME://HOST/v2/REPO" (no trailing slash).
  std::string repository_url() const;

  // One GET through authentication challenges and redirects. Fails only when
  // authentication itself fails; any other outcome is in the HttpResult.
  Result<HttpResult> exchange(HttpSession& session, std::string url,
                              const std::vector<std::string>& headers, HttpBodySink* sink,
                              size_t max_body);
  // The same for any method: one request through challenges and redirects
  // (a redirect keeps the method and sends the body again).
  Result<HttpResult> send(HttpSession& session, const RegistryRequest& request, HttpBodySink* sink,
                          size_t max_body);
  // Whether a result is worth retrying: a transient failure, HTTP 429 or 5xx.
  static bool retryable(const HttpResult& result);
  std::chrono::milliseconds backoff_delay(unsigned attempt) const;
  // The error for a failed result or a non-2xx response; `what` names the
  // request ("manifest HOST/REPO:TAG").
  Error error_for(const HttpResult& result, std::string_view what) const;
  std::string tls_hint(const HttpResult& result) const;

 private:
  RegistryClient(RegistryReference ref, RegistryOptions options, RegistryAccess access);
  // Sends one hop of `request` to `url`; the body opened anew.
  HttpResult send_once(HttpSession& session, const RegistryRequest& request, const std::string& url,
                       std::vector<std::string> headers, HttpBodySink* sink, size_t max_body);
  Result<HttpResult> get_retried(const std::string& url, const std::vector<std::string>& headers,
                                 size_t max_body);
  // The Authorization header to send to the registry, if any.
  Result<std::optional<std::string>> authorization(HttpSession& session);
  Result<std::string> fetch_token(HttpSession& session, const AuthChallenge& challenge,
                                  const std::string& cache_key);
  std::string token_scope(const AuthChallenge& challenge) const;
  std::string token_cache_key(const AuthChallenge& challenge) const;
  Error auth_error() const;

  RegistryReference m_ref;
  RegistryOptions m_options;
  RegistryAccess m_access;
  std::string m_origin;  // "https://host:port"
  TlsVerify m_tls = TlsVerify::yes;
  std::optional<Credentials> m_credentials;
  FetchSlots m_slots;

  std::mutex m_auth_mutex;
  std::optional<AuthChallenge> m_challenge;

  std::mutex m_session_mutex;
  HttpSession m_session;
};

}  // namespace cairn
