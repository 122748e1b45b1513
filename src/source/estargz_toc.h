// eStargz layers (containerd/stargz-snapshotter's estargz writer; nerdctl,
// buildkit's estargz compression): where the table of contents is, and what
// it says.
//
// Such a blob is a sequence of gzip members that decompresses to the layer
// tar exactly, its last member holding the tar entry `stargz.index.json` (the
// TOC) and the end-of-archive blocks, followed by a 51-byte footer: an empty
// gzip member whose extra field is the subfield 'S','G' of 22 bytes,
// "%016x" of the TOC member's offset followed by "STARGZ". The layer's
// descriptor has the annotation containerd.io/snapshot/stargz/toc.digest:
// the sha256 of the TOC's JSON bytes.
//
// Members, as the writer makes them: a tar header goes into the member open
// at the time; each chunk of a regular file's content starts a new member
// (at the TOC entry's "offset"); the padding after a file and the headers
// of the members that follow go into the member of its last chunk, behind
// the content. Files larger than the chunk size are split into chunks: a
// "reg" entry for the first, "chunk" entries (same name) for the others,
// each with offset, chunkOffset and chunkSize (0 or absent on the last
// chunk: up to the end of the file); "innerOffset" is set when a writer
// with a minimum chunk size put several chunks into one member.
//
// The TOC: {"version":1,"entries":[{"name","type","size","digest",
// "offset","chunkOffset","chunkSize","chunkDigest","innerOffset",…},…]}.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/digest.h"
#include "util/error.h"

namespace cairn {

inline constexpr std::string_view k_estargz_toc_digest = "containerd.io/snapshot/stargz/toc.digest";
inline constexpr std::uint64_t k_estargz_footer_size = 51;
inline constexpr std::string_view k_estargz_toc_name = "stargz.index.json";

struct EstargzChunk {
  std::uint64_t member = 0;       // blob offset of the gzip member it starts in
  std::uint64_t file_offset = 0;  // of the chunk in the file's content
  std::uint64_t size = 0;
  std::uint64_t inner_offset = 0;  // in the member's uncompressed bytes
};

struct EstargzFile {
  std::string name;
  std::uint64_t size = 0;
  Digest digest;                     // sha256 of the content
  std::vector<EstargzChunk> chunks;  // in file order, covering [0, size)
};

// The TOC digest annotation; nullopt when absent, Errc::bad_input (naming
// `what`) when it is not a digest.
Result<std::optional<Digest>> parse_estargz_annotation(
    const std::map<std::string, std::string>& annotations, std::string_view what);

// The TOC member's offset from the footer (the blob's last 51 bytes).
// Errc::bad_input unless it is such a footer with an offset before it.
Result<std::uint64_t> parse_estargz_footer(std::string_view footer, std::uint64_t blob_size,
                                           std::string_view what);

// The TOC's JSON from the TOC member's decompressed bytes: the tar entry
// stargz.index.json. Errc::bad_input when they do not start with it.
Result<std::string> estargz_toc_json(std::string_view toc_tar, std::string_view what);

// The regular files with content, in blob order. Errc::bad_input (naming
// the entry) for JSON that is not such a TOC, a file without a digest,
// chunks that do not cover the file in order, offsets that go backwards or
// reach the TOC member (toc_offset).
Result<std::vector<EstargzFile>> parse_estargz_toc(std::string_view json, std::uint64_t toc_offset,
                                                   std::string_view what);

}  // namespace cairn
