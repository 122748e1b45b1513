// Streaming download of one registry blob.
//
// The reader starts a worker thread that GETs the blob into a BytePipe of
// RegistryOptions::stream_buffer bytes; read() takes from the pipe. Memory
// is bounded by the pipe whatever the blob size, and since the transfer runs
// ahead of the consumer, several readers open at once fetch in parallel
// (their worker threads share the client's FetchSlots).
//
// Resume: when the connection drops mid-body (or the server ends the body
// short, or answers 429/5xx), the worker waits (exponential backoff) and
// asks again with "Range: bytes=N-" for the bytes it has not yet delivered.
// A 206 answer must start at N; a 200 answer (server ignores Range) is
// skipped up to N. So the consumer sees each byte of the blob exactly once.
// An attempt that delivered at least 1 MiB resets the failure count; after
// RegistryOptions::retries consecutive failed attempts the reader fails.
//
// The worker hashes what it delivers and fails the stream with
// Errc::digest_mismatch at the end if the blob does not match its digest
// (the ingest pipeline checks it too), and with Errc::bad_input as soon as
// the blob grows past the size its descriptor gives.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "oci/digest.h"
#include "source/registry_client.h"
#include "util/reader.h"

namespace cairn {

// Never fails itself: transfer errors surface from read().
std::unique_ptr<Reader> open_registry_blob(std::shared_ptr<RegistryClient> client, Digest digest,
                                           std::optional<std::uint64_t> size);

}  // namespace cairn
