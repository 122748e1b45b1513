// HTTP range requests (RFC 9110 §14): the Range header for a set of blob
// ranges, and the pieces of a 206 answer. A server may answer several ranges
// with multipart/byteranges, one part per range (or fewer parts when it
// merges ranges), or with one Content-Range covering them all; either way
// the answer is a list of parts, and each wanted range is taken from a part
// that covers it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "source/zstd_chunked_toc.h"
#include "util/error.h"

namespace cairn {

// "Range: bytes=A-B,C-D" (inclusive ends). `ranges` must not be empty.
std::string range_header(std::span<const BlobRange> ranges);

struct RangePart {
  std::uint64_t offset = 0;
  std::string_view bytes;  // into the body
};

// START and END of "bytes START-END/TOTAL" (TOTAL may be "*").
std::optional<BlobRange> parse_content_range(std::string_view value);

// The parts of a 206 body. Errc::bad_input (naming `what`) for a
// multipart body without its boundary, a part without a Content-Range, a
// part whose data is not as long as its range says, or a single-part answer
// whose Content-Range does not match the body.
Result<std::vector<RangePart>> parse_range_parts(std::string_view content_type,
                                                 std::optional<std::string_view> content_range,
                                                 std::string_view body, std::string_view what);

// The bytes of each wanted range, in order. Errc::bad_input when a range is
// in no part.
Result<std::vector<std::string>> pick_ranges(std::span<const RangePart> parts,
                                             std::span<const BlobRange> wanted,
                                             std::string_view what);

}  // namespace cairn
