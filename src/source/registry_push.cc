#include "source/registry_push.h"

#include <thread>

#include "util/sha256.h"

namespace cairn {
namespace {

constexpr size_t k_max_error_body = 64 << 10;
constexpr std::string_view k_octet_stream = "Content-Type: application/octet-stream";

// Reads until `buf` holds `size` bytes or the blob ends.
Result<void> fill(Reader& blob, std::string& buf, size_t size) {
  buf.resize(size);
  size_t have = 0;
  while (have < size) {
    ASSIGN_OR_RETURN(size_t n, blob.read(std::as_writable_bytes(std::span(buf).subspan(have))));
    if (n == 0) break;
    have += n;
  }
  buf.resize(have);
  return {};
}

}  // namespace

// A piece of the blob in memory: bytes [start, start + bytes.size()).
struct BlobPusher::Chunk {
  std::string bytes;
  std::uint64_t start = 0;
  std::uint64_t end() const { return start + bytes.size(); }

  // What of the chunk the registry still lacks, when it holds `received`
  // bytes of the upload.
  Result<std::string_view> unsent(std::uint64_t received, std::string_view what) const {
    if (received < start || received > end()) {
      return fail(Errc::bad_input,
                  std::string(what) + ": the registry holds " + std::to_string(received) +
                      " bytes of the upload, cairn has bytes " + std::to_string(start) + " to " +
                      std::to_string(end()) + " to send (the session was lost)");
    }
    return std::string_view(bytes).substr(received - start);
  }
};

BlobPusher::BlobPusher(std::shared_ptr<RegistryClient> client, std::uint64_t chunk_size)
    : m_client(std::move(client)), m_chunk_size(chunk_size == 0 ? 1 : chunk_size) {}

Error BlobPusher::error_for(const HttpResult& result, std::string_view what) const {
  return m_client->error_for(result, what);
}

Result<HttpResult> BlobPusher::send_retried(const RegistryRequest& request, std::string_view what) {
  for (unsigned attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(HttpResult r, m_client->send(m_session, request, nullptr, k_max_error_body));
    if (r.failure == HttpFailure::body_failed) {
      return fail(Errc::bad_input, std::string(what) + ": " + r.error);
    }
    if (!RegistryClient::retryable(r) || attempt >= m_client->options().retries) return r;
    std::this_thread::sleep_for(m_client->backoff_delay(attempt));
  }
}

Result<bool> BlobPusher::exists(const Digest& digest) {
  std::string what = "HEAD blob " + m_client->reference().domain + "/" +
                     m_client->reference().repository + "@" + digest.str();
  ASSIGN_OR_RETURN(HttpResult r,
                   send_retried({HttpMethod::head, m_client->blob_url(digest), {}, {}, {}}, what));
  if (r.failure == HttpFailure::none && r.response.status == 200) return true;
  if (r.failure == HttpFailure::none && r.response.status == 404) return false;
  return fail(error_for(r, what));
}

Result<std::optional<UploadState>> BlobPusher::mount(const Digest& digest,
                                                     std::string_view from_repository) {
  std::string what = "mount " + digest.str() + " from " + std::string(from_repository);
  std::string url = with_query_parameter(
      with_query_parameter(m_client->repository_url() + "/blobs/uploads/", "mount", digest.str()),
      "from", from_repository);
  ASSIGN_OR_RETURN(HttpResult r, send_retried({HttpMethod::post, url, {}, {}, {}}, what));
  if (r.failure == HttpFailure::none && r.response.status == 201) {
    return std::optional<UploadState>();
  }
  if (r.failure != HttpFailure::none || r.response.status != 202) return fail(error_for(r, what));
  ASSIGN_OR_RETURN(UploadState state, parse_upload_state(r.response, url, what));
  return std::optional<UploadState>(std::move(state));
}

Result<UploadState> BlobPusher::start_session(std::string_view what) {
  std::string url = m_client->repository_url() + "/blobs/uploads/";
  ASSIGN_OR_RETURN(HttpResult r, send_retried({HttpMethod::post, url, {}, {}, {}}, what));
  if (r.failure != HttpFailure::none || r.response.status != 202) return fail(error_for(r, what));
  return parse_upload_state(r.response, url, what);
}

Result<UploadState> BlobPusher::query_session(const UploadState& state, std::string_view what) {
  ASSIGN_OR_RETURN(HttpResult r, send_retried({HttpMethod::get, state.location, {}, {}, {}}, what));
  if (r.failure != HttpFailure::none || r.response.status != 204) {
    return fail(error_for(r, std::string(what) + ": upload status"));
  }
  return parse_upload_state(r.response, state.location, what);
}

Result<UploadState> BlobPusher::send_chunk(UploadState state, const Chunk& chunk,
                                           std::string_view what) {
  for (unsigned failures = 0;;) {
    ASSIGN_OR_RETURN(std::string_view rest, chunk.unsent(state.received, what));
    if (rest.empty()) return state;  // it got the chunk; the answer was lost
    RegistryRequest request{
        HttpMethod::patch,
        state.location,
        {std::string(k_octet_stream), "Content-Range: " + std::to_string(state.received) + "-" +
                                          std::to_string(chunk.end() - 1)},
        [rest] { return std::make_unique<MemoryReader>(rest); },
        rest.size()};
    ASSIGN_OR_RETURN(HttpResult r, m_client->send(m_session, request, nullptr, k_max_error_body));
    if (r.failure == HttpFailure::none && r.response.status == 202) {
      return parse_upload_state(r.response, state.location, what);
    }
    if (!RegistryClient::retryable(r) || failures >= m_client->options().retries) {
      return fail(error_for(r, std::string(what) + ": PATCH bytes " +
                                   std::to_string(state.received) + "-" +
                                   std::to_string(chunk.end() - 1)));
    }
    std::this_thread::sleep_for(m_client->backoff_delay(failures++));
    ASSIGN_OR_RETURN(state, query_session(state, what));
    ++m_counts.resumes;
  }
}

// PUT LOCATION?digest=D, with `last` (the rest of the blob) as the body, or none.
Result<void> BlobPusher::finish(const UploadState& started, const Digest& digest, const Chunk* last,
                                std::string_view what) {
  UploadState state = started;
  for (unsigned failures = 0;;) {
    std::string_view rest;
    if (last) {
      ASSIGN_OR_RETURN(rest, last->unsent(state.received, what));
    }
    RegistryRequest request{HttpMethod::put,
                            with_query_parameter(state.location, "digest", digest.str()),
                            {std::string(k_octet_stream)},
                            [rest] { return std::make_unique<MemoryReader>(rest); },
                            rest.size()};
    ASSIGN_OR_RETURN(HttpResult r, m_client->send(m_session, request, nullptr, k_max_error_body));
    if (r.failure == HttpFailure::none && r.response.status == 201) {
      auto echoed = r.response.header("docker-content-digest");
      if (echoed && *echoed != digest.str()) {
        return fail(Errc::digest_mismatch, std::string(what) + ": the registry stored " + *echoed +
                                               ", cairn sent " + digest.str());
      }
      return {};
    }
    if (!RegistryClient::retryable(r) || failures >= m_client->options().retries) {
      return fail(error_for(r, std::string(what) + ": PUT ?digest=" + digest.str()));
    }
    std::this_thread::sleep_for(m_client->backoff_delay(failures++));
    ASSIGN_OR_RETURN(state, query_session(state, what));
    ++m_counts.resumes;
  }
}

Result<PushedBlob> BlobPusher::upload(Reader& blob, const std::optional<Digest>& expected,
                                      std::optional<UploadState> session,
                                      const Progress& progress) {
  std::string what = "upload of " + (expected ? expected->str() : std::string("a blob")) + " to " +
                     m_client->reference().domain + "/" + m_client->reference().repository;
  Sha256 hash;
  Chunk chunk;
  TRY(fill(blob, chunk.bytes, m_chunk_size));
  bool chunked = chunk.bytes.size() == m_chunk_size;
  UploadState state;
  if (session) {
    state = std::move(*session);
  } else {
    ASSIGN_OR_RETURN(state, start_session(what));
  }
  while (chunked && chunk.bytes.size() == m_chunk_size) {
    hash.update(chunk.bytes);
    ASSIGN_OR_RETURN(state, send_chunk(std::move(state), chunk, what));
    if (progress) progress(chunk.end());
    chunk.start = chunk.end();
    TRY(fill(blob, chunk.bytes, m_chunk_size));
  }
  hash.update(chunk.bytes);
  PushedBlob pushed{Digest::from_sum(hash.finish()), chunk.end()};
  if (expected && pushed.digest != *expected) {
    return fail(Errc::digest_mismatch,
                what + ": the bytes read have digest " + pushed.digest.str());
  }
  TRY(finish(state, pushed.digest, chunk.bytes.empty() ? nullptr : &chunk, what));
  if (progress) progress(pushed.size);
  return pushed;
}

Result<Digest> BlobPusher::put_manifest(std::string_view reference, std::string_view media_type,
                                        const std::string& manifest) {
  const RegistryReference& ref = m_client->reference();
  std::string what = "manifest " + ref.domain + "/" + ref.repository + ":" + std::string(reference);
  Digest digest = Digest::of(manifest);
  RegistryRequest request{HttpMethod::put,
                          m_client->repository_url() + "/manifests/" + std::string(reference),
                          {"Content-Type: " + std::string(media_type)},
                          [&manifest] { return std::make_unique<MemoryReader>(manifest); },
                          manifest.size()};
  ASSIGN_OR_RETURN(HttpResult r, send_retried(request, what));
  if (r.failure != HttpFailure::none || r.response.status != 201) return fail(error_for(r, what));
  auto echoed = r.response.header("docker-content-digest");
  if (echoed && *echoed != digest.str()) {
    return fail(Errc::digest_mismatch,
                what + ": the registry stored " + *echoed + ", cairn sent " + digest.str());
  }
  return digest;
}

}  // namespace cairn
