// Partial pulls of eStargz layers from a registry (format:
// source/estargz_toc.h; doc/registry.md "Partial pulls").
//
// What can be skipped: in an eStargz blob the padding and headers after a
// file's content share the gzip member of its last chunk, and deflate cannot
// be decoded from the middle of a member, so the only members whose bytes
// the store can stand in for are those that hold nothing but one chunk of a
// file it has, and that is not the file's last chunk. Files larger than the
// writer's chunk size (4 MiB by default) are then fetched only from their
// last chunk on; smaller files cost what a full pull costs.
//
// open_estargz_tar():
//   1. fetches the footer (the last 51 bytes), then the TOC member, and
//      checks the TOC's JSON against the toc.digest annotation before it
//      is parsed;
//   2. skips, for each file the store holds (`local`), the members of its
//      leading chunks that are alone in their member and not its last;
//   3. streams every other byte range of the blob, one range request each,
//      decompressed in turn (the TOC member and footer from what step 1
//      fetched), with the skipped chunks' bytes read from the store between.
// It returns nullopt when nothing can be skipped, when the registry answers
// a range request with the whole blob, or when the TOC member is larger
// than k_max_estargz_toc: the caller then downloads the blob whole.
//
// The Reader yields the layer tar (including the TOC entry and the
// end-of-archive blocks, as a full decompression would); the caller checks
// its diff_id, so a partial pull is exactly as verified as a full one.
//
// Errors: Errc::digest_mismatch when the TOC does not match its digest or
// fetched members do not decompress; Errc::bad_input for a malformed footer
// or TOC; the registry's errors as for full downloads. None of them falls
// back.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "oci/digest.h"
#include "oci/image_plan.h"
#include "source/registry_client.h"
#include "util/error.h"

namespace cairn {

inline constexpr std::uint64_t k_max_estargz_toc = 64 << 20;

// `local` must outlive the returned Reader.
Result<std::optional<PartialTar>> open_estargz_tar(std::shared_ptr<RegistryClient> client,
                                                   const Digest& blob, std::uint64_t blob_size,
                                                   const Digest& toc_digest,
                                                   const LocalContents& local);

}  // namespace cairn
