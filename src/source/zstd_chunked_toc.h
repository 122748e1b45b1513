// zstd:chunked layers (containers/storage, `skopeo copy --dest-compress-format
// zstd:chunked`): where the table of contents is, and what it says.
//
// Such a blob is a sequence of zstd frames that decompresses to the layer tar
// exactly: every regular file's content is compressed in frames of its own,
// the tar headers, padding and end-of-archive blocks in the frames between
// them. After the last of those frames come skippable frames (which plain
// zstd decoders skip) holding the TOC and, in the newer form, the tar-split,
// then a footer. The layer's OCI descriptor says where they are:
//
//   io.github.containers.zstd-chunked.manifest-position
//       "OFFSET:LENGTH:UNCOMPRESSED_LENGTH:TYPE": the TOC's compressed bytes
//       are blob[OFFSET, OFFSET+LENGTH), the payload of a skippable frame
//       whose 8-byte header sits just before OFFSET; TYPE 1 is the CRFS-like
//       JSON TOC, the only type there is.
//   io.github.containers.zstd-chunked.manifest-checksum
//       "sha256:…" of those LENGTH compressed bytes.
//   io.github.containers.zstd-chunked.tarsplit-position
//       "OFFSET:LENGTH:UNCOMPRESSED_LENGTH" of the tar-split (newer writers).
// Older writers (containers/image before 5.2x, skopeo 1.9) use the
// `io.containers.zstd-chunked.` prefix for the same keys and write no
// tar-split; the newer names win when both are present.
//
// The TOC, once decompressed: {"version":1,"entries":[{"type":"reg",
// "name":"a/b","size":S,"digest":"sha256:…","offset":O,"endOffset":E,…},…]}.
// A "reg" entry with content has its frames at blob[O, E); they decompress
// to S bytes hashing to digest. "chunk" entries split a file's frames
// further and are not needed here, nor are the other types (their bytes are
// in the frames between the files).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/digest.h"
#include "oci/zstd_chunked_keys.h"
#include "util/error.h"

namespace cairn {

// Largest TOC (uncompressed) a partial pull reads; larger ones fall back to
// a full pull.
inline constexpr std::uint64_t k_max_chunked_toc = 64 << 20;
using zstd_chunked::k_skippable_header;

struct BlobRange {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  std::uint64_t end() const { return offset + length; }
  bool operator==(const BlobRange&) const = default;
};

struct ChunkedLayout {
  BlobRange toc;  // the compressed TOC
  std::uint64_t toc_uncompressed = 0;
  Digest toc_checksum;                 // sha256 of the compressed TOC bytes
  std::optional<BlobRange> tar_split;  // the compressed tar-split, when written
  // Where the frames of the tar end: the first metadata frame's header.
  std::uint64_t content_end() const;
};

// The layout from a layer descriptor's annotations; nullopt when it has none
// of the zstd:chunked keys. Errc::bad_input (naming `what` and the key) when
// a key is malformed, the type is not 1, a range is empty, starts before
// its frame header could, or (with blob_size) ends past the blob.
Result<std::optional<ChunkedLayout>> parse_chunked_annotations(
    const std::map<std::string, std::string>& annotations, std::optional<std::uint64_t> blob_size,
    std::string_view what);

struct TocFile {
  std::string name;  // as the TOC gives it
  std::uint64_t size = 0;
  Digest digest;     // sha256 of the content
  BlobRange frames;  // the compressed content
};

// The regular files with content (size > 0 and frames), in blob order.
// Errc::bad_input (naming `what` and the entry) for JSON that is not such a
// TOC, an unknown version, a reg entry with content but a missing or bad
// digest, frames that are empty, end past content_end or overlap (or come
// before) the previous file's. A reg entry without offsets is left out: its
// content then lies in the frames between the files.
Result<std::vector<TocFile>> parse_chunked_toc(std::string_view json, std::uint64_t content_end,
                                               std::string_view what);

}  // namespace cairn
