// Partial pulls of zstd:chunked layers from a registry: the layer's
// uncompressed tar rebuilt from the store's file contents and the few
// ranges of the blob it lacks (format: source/zstd_chunked_toc.h; what is
// fetched: source/zstd_chunked_plan.h; doc/registry.md "Partial pulls").
//
// open_chunked_tar():
//   1. fetches the TOC (one range request) and checks it against the
//      manifest-checksum annotation before anything else reads it;
//   2. decompresses and parses it (bounded: k_max_chunked_toc bytes);
//   3. plans the rebuild, asking `local` which contents the store holds;
//   4. fetches the "between" frames (and small missing files) at once.
// It returns nullopt, having fetched at most the TOC and the "between"
// frames, when a partial pull is not possible or not worth it: the registry
// answers a range request with the whole blob (200), the TOC is larger than
// k_max_chunked_toc, the "between" frames exceed k_max_prefetch, or the store
// holds none of the layer's files (a full download is then cheaper). The
// caller then downloads the blob as usual.
//
// The returned Reader yields the layer tar; the caller checks its diff_id
// (so a partial pull is exactly as verified as a full one). On the way,
// each file's content is checked against the TOC's size and sha256 as it
// streams, whether it came from the store or from the registry.
//
// Errors: Errc::digest_mismatch when the TOC does not match its checksum,
// fetched frames do not decompress, or a content differs from its TOC entry
// (size or sha256), naming the file; Errc::bad_input for a malformed TOC or
// range answer; the registry's errors as for full downloads. None of them
// falls back: a blob that contradicts its own verified TOC is not trusted.
#pragma once

#include <memory>
#include <optional>

#include "oci/digest.h"
#include "oci/image_plan.h"
#include "source/registry_client.h"
#include "source/zstd_chunked_toc.h"
#include "util/error.h"

namespace cairn {

// `local` must outlive the returned Reader.
Result<std::optional<PartialTar>> open_chunked_tar(std::shared_ptr<RegistryClient> client,
                                                   const Digest& blob, const ChunkedLayout& layout,
                                                   const LocalContents& local);

}  // namespace cairn
