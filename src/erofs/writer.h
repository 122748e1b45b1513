// The composefs image writer: turns a Tree into the EROFS image that
// `mkcomposefs` (containers/composefs v1.0.8) writes for the same tree, byte
// for byte. doc/composefs-format.md describes the layout.
//
// The image records a composefs format version. The writer starts at
// `min_version` and raises it to `max_version` only when the tree needs it:
// a whiteout (character device 0/0) needs version 1, where the directory
// holding it also gets overlayfs opaque markers. Versions above 1 do not
// exist (Errc::usage); a max_version below min_version is taken as equal.
//
// Inline content is written whatever its size (mkcomposefs itself caps it at
// 5000 bytes, see erofs/dump_reader.h).
//
// Errors: Errc::usage for a version above 1; Errc::unsupported for trees the
// format cannot hold (a backed file whose chunk index exceeds one block, i.e.
// over 8 PiB; more than 2^32 blocks); errors of the sink pass through. On
// error the sink may hold a partial image.
#pragma once

#include <cstdint>

#include "erofs/fsverity.h"
#include "erofs/image_sink.h"
#include "erofs/tree.h"
#include "util/error.h"

namespace cairn::erofs {

inline constexpr std::uint32_t k_max_format_version = 1;

struct WriteOptions {
  std::uint32_t min_version = 0;
  std::uint32_t max_version = 1;
};

struct ImageInfo {
  std::uint32_t version = 0;     // composefs format version written
  std::uint64_t size = 0;        // bytes written
  VerityDigest fsverity_digest;  // of the whole image
};

Result<ImageInfo> write_composefs_image(const Tree& tree, const WriteOptions& options,
                                        ImageSink& sink);

}  // namespace cairn::erofs
