// Pushing blobs and manifests to one repository of a registry (OCI
// distribution spec, "Push"; doc/registry.md "Push").
//
//   exists():       HEAD /v2/REPO/blobs/DIGEST — 200: the registry has it.
//   mount():        POST /v2/REPO/blobs/uploads/?mount=DIGEST&from=OTHER —
//                   201: mounted, nothing to send; 202: the registry opened
//                   an upload session instead, which upload() continues.
//   upload():       reads the blob from a Reader, one chunk (chunk_size
//                   bytes) at a time, hashing it as it goes:
//                   - a blob that fits in the first chunk goes monolithic:
//                     POST, then PUT LOCATION?digest=D with the bytes;
//                   - a bigger one chunked: POST, PATCH each chunk with
//                     Content-Range START-END, then PUT LOCATION?digest=D
//                     with no body.
//                   So at most one chunk per upload is in memory, whatever
//                   the blob size, and no size or digest is needed up front.
//   put_manifest(): PUT /v2/REPO/manifests/REF with the manifest's media
//                   type; the registry's Docker-Content-Digest must be the
//                   bytes' sha256.
//
// Retries: every request is retried on a transient failure (connection
// refused/reset/dropped, 429, 5xx) with the client's backoff, up to
// RegistryOptions::retries consecutive failures. Resume: when a PATCH or the
// monolithic PUT fails that way, the pusher asks the session where it stands
// (GET LOCATION: Range 0-N) and sends again from byte N+1 of the chunk in
// memory — only the part the registry lacks, never the blob from the start.
// A registry that reports a position outside the chunk (it lost the session,
// or holds bytes cairn never sent) ends the upload with Errc::bad_input
// naming the blob and both positions. A successful request resets the count.
//
// Thread-safety: a BlobPusher is used by one thread at a time (it owns an
// HttpSession); several pushers may share one RegistryClient.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "oci/digest.h"
#include "source/registry_client.h"
#include "source/upload_state.h"
#include "util/reader.h"

namespace cairn {

inline constexpr std::uint64_t k_default_push_chunk_size = 8 << 20;

struct PushedBlob {
  Digest digest;
  std::uint64_t size = 0;
};

class BlobPusher {
 public:
  // Bytes of the blob acknowledged by the registry so far.
  using Progress = std::function<void(std::uint64_t bytes_sent)>;

  BlobPusher(std::shared_ptr<RegistryClient> client, std::uint64_t chunk_size);

  Result<bool> exists(const Digest& digest);
  // nullopt: mounted. Otherwise the upload session the registry opened.
  Result<std::optional<UploadState>> mount(const Digest& digest, std::string_view from_repository);
  // Uploads what `blob` yields. `expected`, when given, must be its digest
  // (Errc::digest_mismatch before the final PUT otherwise: the registry gets
  // no blob). `session`: one opened by mount(), else a new one is opened.
  Result<PushedBlob> upload(Reader& blob, const std::optional<Digest>& expected,
                            std::optional<UploadState> session, const Progress& progress = {});
  // The manifest's digest.
  Result<Digest> put_manifest(std::string_view reference, std::string_view media_type,
                              const std::string& manifest);

  // Request counts of this pusher (for tests and progress summaries).
  struct Counts {
    unsigned resumes = 0;  // chunks sent again from where the registry stood
  };
  const Counts& counts() const { return m_counts; }

 private:
  struct Chunk;
  Result<HttpResult> send_retried(const RegistryRequest& request, std::string_view what);
  Result<UploadState> start_session(std::string_view what);
  Result<UploadState> send_chunk(UploadState state, const Chunk& chunk, std::string_view what);
  Result<UploadState> query_session(const UploadState& state, std::string_view what);
  Result<void> finish(const UploadState& state, const Digest& digest, const Chunk* last,
                      std::string_view what);
  Error error_for(const HttpResult& result, std::string_view what) const;

  std::shared_ptr<RegistryClient> m_client;
  std::uint64_t m_chunk_size;
  HttpSession m_session;
  Counts m_counts;
};

}  // namespace cairn
