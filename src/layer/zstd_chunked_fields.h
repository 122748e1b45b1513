// How the zstd:chunked writer (zstd_chunked_writer.h) spells tar header
// fields in its TOC, as containers/storage writes them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace cairn::zstd_chunked {

// The TOC's name for a tar member type ('0', '5', ...): "reg", "dir", ...;
// empty for one it has none for.
std::string_view toc_type(char type);

// Seconds and nanoseconds of a pax time ("-12.5", "1700000000.000000001");
// nullopt when malformed. Negative times keep their fraction exact:
// "-1.5" is -2 s + 500,000,000 ns.
std::optional<std::pair<std::int64_t, long>> parse_pax_time(std::string_view text);

// RFC 3339 in UTC, the fraction without trailing zeros (Go's time.Time in
// JSON); nullopt outside years 0..9999.
std::optional<std::string> rfc3339(std::int64_t sec, long nsec);

}  // namespace cairn::zstd_chunked
