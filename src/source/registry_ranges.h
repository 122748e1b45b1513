// Parts of a registry blob, by HTTP range requests (partial pulls,
// source/zstd_chunked_layer.h). Requests go to the blob URL through the
// client's authentication and redirects; every byte received from the
// network is added to a FetchCounter, so a pull can say what it cost.
//
// fetch_blob_ranges(): small ranges into memory, up to k_ranges_per_request
// ranges per request ("Range: bytes=A-B,C-D,…"), transient failures retried
// as for manifests. A 200 answer means the registry (or a proxy) ignores
// Range: the transfer is cut off at once and the result is nullopt, so the
// caller can fall back to a full download.
//
// open_blob_range(): one range streamed (a worker thread into a bounded
// pipe, like source/registry_blob.h), for file contents of any size. A
// dropped transfer resumes with the bytes not yet delivered; a 206 must
// start where asked; a 200 answer is skipped up to the range and cut off
// after it (correct, only expensive).
//
// Errors: Errc::bad_input for an answer that is not the ranges asked for;
// the client's errors (EIO after the retries, access_denied, not_found).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "oci/digest.h"
#include "source/registry_client.h"
#include "source/zstd_chunked_toc.h"
#include "util/error.h"
#include "util/reader.h"

namespace cairn {

using FetchCounter = std::atomic<std::uint64_t>;

inline constexpr size_t k_ranges_per_request = 64;

// The bytes of each range, in order; nullopt when the registry ignores Range.
Result<std::optional<std::vector<std::string>>> fetch_blob_ranges(RegistryClient& client,
                                                                  const Digest& digest,
                                                                  std::span<const BlobRange> ranges,
                                                                  FetchCounter& fetched);

// Never fails itself: transfer errors surface from read().
std::unique_ptr<Reader> open_blob_range(std::shared_ptr<RegistryClient> client, Digest digest,
                                        BlobRange range, std::shared_ptr<FetchCounter> fetched);

}  // namespace cairn
