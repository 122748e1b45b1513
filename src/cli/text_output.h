// Renderings shared by the commands' table output (doc/cli.md).
#pragma once

#include <cstdint>
#include <string>

namespace cairn::cli {

// SECONDS since the epoch as "YYYY-MM-DD HH:MM:SSZ" (UTC).
std::string utc_time(std::int64_t seconds);

// BYTES in decimal units, as podman shows sizes: "512 B", "125.3 MB".
std::string human_size(std::uint64_t bytes);

// "1 image", "2 images": N and NOUN, plural unless N is 1.
std::string count(std::size_t n, const std::string& noun);

}  // namespace cairn::cli
