// Limits every backend enforces on a layer entry before it is applied, so
// that a layer gets the same answer on every backend: dir, btrfs and zfs
// apply entries to a real filesystem, which refuses what is longer than
// Linux allows, while composefs writes an EROFS image, which would hold it
// and then serve paths no program can open.
//
//  - each name in the path and in a hard link's target: at most 255 bytes
//    (NAME_MAX);
//  - the path, a hard link's target and a symlink's target: at most 4095
//    bytes (PATH_MAX without its NUL);
//  - xattrs: a name of at most 255 bytes (XATTR_NAME_MAX), a value of at most
//    65536 bytes (XATTR_SIZE_MAX), and all names of the entry, each with its
//    NUL, at most 65536 bytes (XATTR_LIST_MAX: listxattr could not list more).
//
// What a filesystem's own capacity refuses below these limits (ext4 keeps an
// inode's xattrs in one block) still fails there, with its errno.
#pragma once

#include "layer/tar_entry.h"
#include "util/error.h"

namespace cairn {

// Errc::bad_input naming the entry and the limit it exceeds.
Result<void> check_entry_limits(const TarEntry& entry);

}  // namespace cairn
