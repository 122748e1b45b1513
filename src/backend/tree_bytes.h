// Apparent size of a directory tree, for `cairn df`.
#pragma once

#include <cstdint>
#include <string>

#include "util/error.h"

namespace cairn {

// The sizes of the regular files below ROOT (each inode once, so hard links
// count once) plus the lengths of symlink targets; directories and special
// files count 0. Does not follow symlinks.
Result<std::uint64_t> tree_bytes(const std::string& root);

}  // namespace cairn
