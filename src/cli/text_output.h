// Renderings shared by the commands' table output (doc/cli.md).
#pragma once

#include <cstdint>
#include <string>

namespace cairn::cli {

// SECONDS since the epoch as "YYYY-MM-DD HH:MM:SSZ" (UTC).
std::string utc_time(std::int64_t seconds);

}  // namespace cairn::cli
