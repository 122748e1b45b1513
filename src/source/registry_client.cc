#include "source/registry_client.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "oci/manifest.h"
#include "oci/media_types.h"

namespace cairn {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int k_max_redirects = 10;
constexpr size_t k_max_token_response = 1 << 20;
constexpr size_t k_max_error_body = 64 << 10;
constexpr long k_default_token_lifetime_s = 60;
constexpr long k_token_slack_s = 10;
constexpr auto k_max_backoff = std::chrono::seconds(10);

struct CachedToken {
  std::string token;
  Clock::time_point expires;
};

std::mutex g_token_mutex;
std::map<std::string, CachedToken> g_tokens;

std::optional<std::string> cached_token(const std::string& key) {
  std::lock_guard lock(g_token_mutex);
  auto it = g_tokens.find(key);
  if (it == g_tokens.end() || it->second.expires <= Clock::now()) return std::nullopt;
  return it->second.token;
}

void store_token(const std::string& key, std::string token, long lifetime_s) {
  long usable = std::max(lifetime_s - k_token_slack_s, lifetime_s / 2);
  std::lock_guard lock(g_token_mutex);
  g_tokens[key] = {std::move(token), Clock::now() + std::chrono::seconds(usable)};
}

void forget_token(const std::string& key) {
  std::lock_guard lock(g_token_mutex);
  g_tokens.erase(key);
}

std::string accept_header() {
  std::string types;
  for (std::string_view t : {media_type::k_oci_manifest, media_type::k_oci_index,
                             media_type::k_docker_manifest, media_type::k_docker_manifest_list,
                             media_type::k_docker_schema1_signed, media_type::k_docker_schema1}) {
    if (!types.empty()) types += ", ";
    types += t;
  }
  return "Accept: " + types;
}

bool is_insecure(const RegistryOptions& options, const std::string& host) {
  return options.insecure ||
         std::find(options.insecure_registries.begin(), options.insecure_registries.end(), host) !=
             options.insecure_registries.end();
}

// "CODE: message" of the first error in a distribution API error body.
std::string registry_error_text(const std::string& body) {
  Json doc = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object() && doc.contains("errors") && doc["errors"].is_array() &&
      !doc["errors"].empty() && doc["errors"][0].is_object()) {
    const Json& e = doc["errors"][0];
    std::string code = e.value("code", "");
    std::string message = e.value("message", "");
    return code + (message.empty() ? "" : ": " + message);
  }
  return {};
}

}  // namespace

RegistryClient::RegistryClient(RegistryReference ref, RegistryOptions options,
                               RegistryAccess access)
    : m_ref(std::move(ref)),
      m_options(std::move(options)),
      m_access(access),
      m_slots(m_options.max_parallel_fetches) {}

Result<std::shared_ptr<RegistryClient>> RegistryClient::connect(RegistryReference ref,
                                                                RegistryOptions options,
                                                                RegistryAccess access) {
  std::vector<CredentialFile> files = options.credential_files;
  if (options.default_credentials == DefaultCredentials::use) {
    for (CredentialFile& f : default_credential_files()) files.push_back(std::move(f));
  }
  ASSIGN_OR_RETURN(std::optional<Credentials> creds,
                   find_credentials(files, ref.domain, ref.repository));
  std::shared_ptr<RegistryClient> client(
      new RegistryClient(std::move(ref), std::move(options), access));
  client->m_credentials = std::move(creds);
  std::string host = client->m_ref.api_host();
  client->m_origin = "https://" + host;
  if (is_insecure(client->m_options, host)) {
    client->m_tls = TlsVerify::no;
    HttpResult probe = client->m_session.get({client->m_origin + "/v2/", {}, TlsVerify::no, ""},
                                             nullptr, k_max_error_body);
    if (probe.failure != HttpFailure::none) client->m_origin = "http://" + host;
  }
  return client;
}

std::string RegistryClient::repository_url() const {
  return m_origin + "/v2/" + m_ref.repository;
}

std::string RegistryClient::blob_url(const Digest& digest) const {
  return repository_url() + "/blobs/" + digest.str();
}

Result<RegistryClient::Document> RegistryClient::get_manifest(std::string_view manifest_ref) {
  std::string url =
      m_origin + "/v2/" + m_ref.repository + "/manifests/" + std::string(manifest_ref);
  ASSIGN_OR_RETURN(HttpResult r, get_retried(url, {accept_header()}, k_max_json_document));
  if (r.failure != HttpFailure::none || r.response.status != 200) {
    return fail(error_for(
        r, "manifest " + m_ref.domain + "/" + m_ref.repository + ":" + std::string(manifest_ref)));
  }
  std::string type = r.response.header("content-type").value_or("");
  type = type.substr(0, type.find(';'));
  return Document{std::move(r.response.body), std::move(type),
                  r.response.header("docker-content-digest")};
}

Result<std::string> RegistryClient::get_blob(const Digest& digest, size_t max_size) {
  ASSIGN_OR_RETURN(HttpResult r, get_retried(blob_url(digest), {}, max_size));
  if (r.failure != HttpFailure::none || r.response.status != 200) {
    return fail(error_for(r, "blob " + m_ref.domain + "/" + m_ref.repository + "@" + digest.str()));
  }
  return std::move(r.response.body);
}

Result<HttpResult> RegistryClient::get_retried(const std::string& url,
                                               const std::vector<std::string>& headers,
                                               size_t max_body) {
  std::lock_guard lock(m_session_mutex);
  for (unsigned attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(HttpResult r, exchange(m_session, url, headers, nullptr, max_body));
    if (!retryable(r) || attempt >= m_options.retries) return r;
    std::this_thread::sleep_for(backoff_delay(attempt));
  }
}

Result<HttpResult> RegistryClient::exchange(HttpSession& session, std::string url,
                                            const std::vector<std::string>& headers,
                                            HttpBodySink* sink, size_t max_body) {
  return send(session, RegistryRequest{HttpMethod::get, std::move(url), headers, {}, {}}, sink,
              max_body);
}

HttpResult RegistryClient::send_once(HttpSession& session, const RegistryRequest& request,
                                     const std::string& url, std::vector<std::string> headers,
                                     HttpBodySink* sink, size_t max_body) {
  std::unique_ptr<Reader> body = request.body ? request.body() : nullptr;
  return session.perform(request.method, HttpRequest{url, std::move(headers), m_tls, ""},
                         HttpRequestBody{body.get(), request.body_size}, sink, max_body);
}

Result<HttpResult> RegistryClient::send(HttpSession& session, const RegistryRequest& request,
                                        HttpBodySink* sink, size_t max_body) {
  bool challenged = false;
  std::string url = request.url;
  for (int hop = 0; hop <= k_max_redirects; ++hop) {
    std::vector<std::string> headers = request.headers;
    bool to_registry = url_origin(url) == m_origin;
    std::optional<std::string> auth;
    if (to_registry) {
      ASSIGN_OR_RETURN(auth, authorization(session));
      if (auth) headers.push_back("Authorization: " + *auth);
    }
    HttpResult r = send_once(session, request, url, std::move(headers), sink, max_body);
    if (r.failure != HttpFailure::none) return r;
    long status = r.response.status;
    if (status == 401 && to_registry && !challenged) {
      auto header = r.response.header("www-authenticate");
      if (!header) return r;
      ASSIGN_OR_RETURN(AuthChallenge challenge, parse_auth_challenge(*header));
      if (auth && challenge.scheme == AuthChallenge::Scheme::bearer) {
        forget_token(token_cache_key(challenge));
      }
      {
        std::lock_guard lock(m_auth_mutex);
        m_challenge = std::move(challenge);
      }
      challenged = true;
      continue;
    }
    if (status >= 300 && status < 400 && !r.response.redirect_url.empty()) {
      url = r.response.redirect_url;
      continue;
    }
    return r;
  }
  return fail(Errc::bad_input, std::string(method_name(request.method)) + " " + url +
                                   ": more than " + std::to_string(k_max_redirects) + " redirects");
}

std::string RegistryClient::token_scope(const AuthChallenge& challenge) const {
  auto it = challenge.params.find("scope");
  return token_scope_for(it == challenge.params.end() ? "" : it->second, m_ref.repository,
                         m_access);
}

std::string RegistryClient::token_cache_key(const AuthChallenge& challenge) const {
  auto param = [&](const char* key) {
    auto it = challenge.params.find(key);
    return it == challenge.params.end() ? std::string() : it->second;
  };
  return param("realm") + "\n" + param("service") + "\n" + token_scope(challenge) + "\n" +
         (m_credentials ? m_credentials->username : "");
}

Result<std::optional<std::string>> RegistryClient::authorization(HttpSession& session) {
  std::lock_guard lock(m_auth_mutex);
  if (!m_challenge) return std::optional<std::string>();
  if (m_challenge->scheme == AuthChallenge::Scheme::basic) {
    if (!m_credentials) return std::optional<std::string>();
    return std::optional<std::string>(
        "Basic " + base64_encode(m_credentials->username + ":" + m_credentials->password));
  }
  std::string key = token_cache_key(*m_challenge);
  if (auto token = cached_token(key)) return std::optional<std::string>("Bearer " + *token);
  ASSIGN_OR_RETURN(std::string token, fetch_token(session, *m_challenge, key));
  return std::optional<std::string>("Bearer " + token);
}

Result<std::string> RegistryClient::fetch_token(HttpSession& session,
                                                const AuthChallenge& challenge,
                                                const std::string& cache_key) {
  auto realm = challenge.params.find("realm");
  if (realm == challenge.params.end() || !realm->second.starts_with("http")) {
    return fail(Errc::bad_input, m_ref.api_host() + ": bearer challenge without a usable realm");
  }
  std::string url = realm->second + (realm->second.find('?') == std::string::npos ? "?" : "&");
  if (auto service = challenge.params.find("service"); service != challenge.params.end()) {
    url += "service=" + url_escape(service->second) + "&";
  }
  url += "scope=" + url_escape(token_scope(challenge));
  HttpRequest request{url, {}, m_tls, ""};
  if (m_credentials) {
    request.headers.push_back(
        "Authorization: Basic " +
        base64_encode(m_credentials->username + ":" + m_credentials->password));
  }
  HttpResult r = session.get(request, nullptr, k_max_token_response);
  if (r.failure == HttpFailure::none && (r.response.status == 401 || r.response.status == 403)) {
    return fail(auth_error());
  }
  if (r.failure != HttpFailure::none || r.response.status != 200) {
    return fail(error_for(r, "token from " + url_origin(url)));
  }
  Json doc = Json::parse(r.response.body, nullptr, /*allow_exceptions=*/false);
  std::string token;
  if (doc.is_object()) token = doc.value("token", doc.value("access_token", ""));
  if (token.empty()) return fail(Errc::bad_input, "token from " + url_origin(url) + ": no token");
  long lifetime = k_default_token_lifetime_s;
  if (doc.contains("expires_in") && doc["expires_in"].is_number_integer()) {
    lifetime = std::max(doc["expires_in"].get<long>(), k_default_token_lifetime_s);
  }
  store_token(cache_key, token, lifetime);
  return token;
}

Error RegistryClient::auth_error() const {
  if (m_credentials) {
    return Error(make_error_code(Errc::access_denied), "authentication failed for " + m_ref.domain +
                                                           " (user \"" + m_credentials->username +
                                                           "\")");
  }
  return Error(make_error_code(Errc::access_denied),
               "authentication required for " + m_ref.domain + "/" + m_ref.repository +
                   ": no credentials found (or the repository does not exist)");
}

bool RegistryClient::retryable(const HttpResult& result) {
  if (result.failure == HttpFailure::transient) return true;
  if (result.failure != HttpFailure::none) return false;
  long status = result.response.status;
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

std::chrono::milliseconds RegistryClient::backoff_delay(unsigned attempt) const {
  auto delay = m_options.retry_backoff * (1L << std::min(attempt, 10U));
  return std::min<std::chrono::milliseconds>(delay, k_max_backoff);
}

// A registry that speaks plain HTTP, or HTTPS with a certificate the system
// does not trust, fails the TLS handshake: say how to allow it.
std::string RegistryClient::tls_hint(const HttpResult& result) const {
  if (m_tls != TlsVerify::yes || !m_origin.starts_with("https://")) return "";
  const std::string& e = result.error;
  bool tls = e.find("SSL") != std::string::npos || e.find("TLS") != std::string::npos ||
             e.find("certificate") != std::string::npos;
  if (!tls) return "";
  std::string host = m_ref.api_host();
  return " (TLS handshake with " + host + " failed: a registry on plain HTTP or with an " +
         "untrusted certificate must be allowed with --insecure-registry " + host +
         " or --insecure)";
}

Error RegistryClient::error_for(const HttpResult& result, std::string_view what) const {
  std::string context(what);
  if (result.failure == HttpFailure::too_large) {
    return Error(make_error_code(Errc::bad_input), context + ": response too large");
  }
  if (result.failure != HttpFailure::none) {
    return Error::from_errno(EIO, context + ": " + result.error + tls_hint(result));
  }
  long status = result.response.status;
  if (status == 401 || status == 403) return std::move(auth_error()).wrap(context);
  std::string detail = registry_error_text(result.response.body);
  std::string text =
      context + ": HTTP " + std::to_string(status) + (detail.empty() ? "" : " (" + detail + ")");
  if (status == 404) return Error(make_error_code(Errc::not_found), text);
  return Error::from_errno(EIO, text);
}

}  // namespace cairn
