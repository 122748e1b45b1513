// A directory tree worked on through descriptors: lookups relative to a
// directory descriptor, never following a symlink where the caller did not
// ask for it. The layer applier (layer/dir_apply.h) and the tar-split
// replay (source/tar_split.h) reach their trees only through these.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/error.h"
#include "util/unique_fd.h"

namespace cairn {

// openat2(2) with O_CLOEXEC added; EINTR and EAGAIN are retried.
Result<UniqueFd> openat2_fd(int dir_fd, const std::string& path, int flags, std::uint64_t resolve);

// "/proc/self/fd/FD/NAME": how *xattr(2) calls reach NAME in a directory
// descriptor without a path walk; NAME must be a single component.
std::string proc_fd_path(int dir_fd, const std::string& name);

// The names in a directory, without "." and "..".
Result<std::vector<std::string>> list_dir(int dir_fd, const std::string& what);

// Removes NAME in DIR_FD and, for a directory, everything below it, never
// following symlinks. A missing NAME is fine.
Result<void> remove_entry_at(int dir_fd, const std::string& name);

}  // namespace cairn
