// Exit codes scripts can rely on (doc/cli.md).
#pragma once

#include "util/error.h"

namespace cairn::cli {

inline constexpr int k_exit_failure = 1;      // any other failure (I/O, store)
inline constexpr int k_exit_usage = 2;        // bad arguments or configuration
inline constexpr int k_exit_not_found = 3;    // no such image, file or tag
inline constexpr int k_exit_bad_input = 4;    // invalid, hostile or corrupt input
inline constexpr int k_exit_busy = 5;         // in use: a container uses the image, it is mounted
inline constexpr int k_exit_unsupported = 6;  // valid, but not something cairn (here) can do

int exit_code_for(const Error& error);

}  // namespace cairn::cli
