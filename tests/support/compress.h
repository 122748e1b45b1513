// Compression for test data: whole strings in, whole strings out.
#pragma once

#include <string>
#include <string_view>

namespace cairn::test {

// One gzip member (zlib, default level).
std::string gzip(std::string_view data);
// One zstd frame (level 3).
std::string zstd(std::string_view data);

}  // namespace cairn::test
