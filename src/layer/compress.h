// Compressing Readers for layer blobs that are built again from a layer's
// tar (cairn push of a layer whose original blob the store did not keep).
//
// Deterministic: the same input gives the same bytes every time with the
// same zlib / libzstd, so a layer pushed twice has one blob digest.
//   gzip: one member, zlib level 6 (gzip's default), no file name, mtime 0,
//         OS byte 3 (Unix) as zlib writes it;
//   zstd: one frame, level 3 (zstd's default), no checksum, no content size
//         (the input is a stream).
// Memory: 128 KiB of input at a time plus the codec's state. Errors of the
// input pass through unchanged.
#pragma once

#include <memory>

#include "oci/compression.h"
#include "util/error.h"
#include "util/reader.h"

namespace cairn {

// Owns `input`. Compression::none passes it through.
std::unique_ptr<Reader> make_compressor(std::unique_ptr<Reader> input, Compression compression);

}  // namespace cairn
