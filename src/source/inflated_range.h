// Blob ranges that a partial pull decompresses (zstd:chunked frames, eStargz
// gzip members): a decode error there means the blob contradicts the TOC
// that was verified before it was used, so it is reported as
// Errc::digest_mismatch naming `what`; an error of the transfer under it
// passes through unchanged.
#pragma once

#include <memory>
#include <string>

#include "oci/compression.h"
#include "util/error.h"
#include "util/reader.h"

namespace cairn {

// The decompressed bytes of `compressed` (owned).
Result<std::unique_ptr<Reader>> open_inflated(std::unique_ptr<Reader> compressed,
                                              Compression compression, std::string what);

}  // namespace cairn
