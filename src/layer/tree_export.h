// Writes a directory tree as a POSIX pax tar stream (what `cairn export`
// produces): paths relative to the tree ("./etc/passwd") as raw bytes
// (a name that is not valid UTF-8 with hdrcharset=BINARY, so that readers
// take its bytes as they are; the others with no hdrcharset record, which GNU
// tar does not know and warns about; libarchive readers may NFC-normalize
// such UTF-8 names, GNU tar does not), numeric owners only, mtimes with nanoseconds, xattrs
// as SCHILY.xattr records only (no LIBARCHIVE.xattr duplicates, which GNU tar
// warns about), hardlinks as link entries after the first name,
// sparse files written in full, symlinks never followed, other mounts not
// entered.
#pragma once

#include <string>

#include "util/error.h"

namespace cairn {

Result<void> export_tree(const std::string& root, int out_fd);

}  // namespace cairn
