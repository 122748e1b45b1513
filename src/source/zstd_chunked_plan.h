// Which bytes of a zstd:chunked blob a partial pull downloads, and how the
// layer tar is put together from them (source/zstd_chunked_layer.h).
//
// The blob's frames up to ChunkedLayout::content_end() decompress to the
// layer tar. The TOC gives each regular file's frames; what lies between
// them ("between" frames: tar headers, extension records, padding, the
// contents of files without frames of their own, the end-of-archive blocks)
// is always downloaded, since it is small and exactly the tar's own bytes:
//
//   tar = inflate(between 0) + content(file 0) + inflate(between 1) + …
//         + content(file n-1) + inflate(between n)
//
// A file's content comes from the store when it holds that sha256 and size,
// else from the file's frames. Downloads: every "between" range, and the
// frames of missing files up to k_prefetch_file bytes, are fetched at once
// into memory with multi-range requests (ranges closer than k_merge_hole
// merged into one: a hole that small costs less than a part's framing), as
// long as they total at most k_max_prefetch bytes; larger (or further)
// missing files are streamed, one range request each, when the tar reaches
// them. No tar-split is needed: the "between" frames are the tar's bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "source/zstd_chunked_toc.h"

namespace cairn {

inline constexpr std::uint64_t k_prefetch_file = 1 << 20;
inline constexpr std::uint64_t k_max_prefetch = 32 << 20;
inline constexpr std::uint64_t k_merge_hole = 4 << 10;

struct ChunkedPiece {
  enum class Kind {
    between,       // frames to inflate (from the prefetched bytes)
    local_file,    // files[file] from the store
    fetched_file,  // files[file] from its frames (prefetched or streamed)
  };
  Kind kind = Kind::between;
  BlobRange range;  // the frames (for local files: what is not downloaded)
  size_t file = 0;
};

struct ChunkedPlan {
  std::vector<ChunkedPiece> pieces;  // in tar order
  std::vector<BlobRange> prefetch;   // sorted, merged
  std::uint64_t prefetch_bytes = 0;
  size_t files_local = 0;
  size_t files_fetched = 0;
};

// files: as parse_chunked_toc() returns them (blob order, within
// content_end). Never fails; the caller decides whether the plan is worth it
// (files_local > 0) and possible (prefetch_bytes <= k_max_prefetch holds
// unless the "between" ranges alone exceed it).
ChunkedPlan plan_chunked_tar(std::span<const TocFile> files, std::uint64_t content_end,
                             const std::function<bool(const TocFile&)>& is_local);

}  // namespace cairn
