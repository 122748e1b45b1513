// A bound on the nesting of JSON documents from outside. nlohmann::json parses
// iteratively, but copying, comparing and serializing a value recurse once per
// level: a 4 MiB config of 2M nested arrays parses, is stored, and then
// overflows the stack of `cairn inspect`. Image documents, docker save's
// manifest.json, zstd:chunked and eStargz TOCs and tar-split records are
// refused beyond k_max_json_depth levels before they are parsed; real ones
// nest fewer than ten.
#pragma once

#include <cstddef>
#include <string_view>

namespace cairn {

inline constexpr size_t k_max_json_depth = 100;

// True if arrays and objects in TEXT nest deeper than LIMIT (brackets inside
// strings do not count; TEXT need not be valid JSON).
bool json_deeper_than(std::string_view text, size_t limit = k_max_json_depth);

}  // namespace cairn
