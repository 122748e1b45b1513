// Writes a directory tree as a POSIX pax tar stream (what `cairn export`
// produces): paths relative to the tree ("./etc/passwd"), numeric owners
// only, xattrs as SCHILY.xattr records, hardlinks as link entries after the
// first name, symlinks never followed, other mounts not entered.
#pragma once

#include <string>

#include "util/error.h"

namespace cairn {

Result<void> export_tree(const std::string& root, int out_fd);

}  // namespace cairn
