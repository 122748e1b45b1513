// Writes a directory tree as a squashfs image with `mksquashfs` (package
// squashfs-tools, 4.5 or later), with extra files added or replacing the
// tree's own, without touching the tree.
//
// The extra files are written to STAGING_DIR and given to mksquashfs as
// pseudo-file definitions (`-pf`: "PATH F TIME MODE 0 0 cat FILE"); the
// tree's own files at those paths are left out with `-e`. Owners, modes,
// xattrs, hard links and mtimes come from the tree as they are (no
// -all-root). The output is byte-for-byte reproducible for the same tree,
// extras and TIME: mksquashfs builds reproducibly by default, TIME is the
// superblock time (-mkfs-time), the root directory's mtime (-root-time: the
// tree's own is the host's) and the extras' mtime, and SOURCE_DATE_EPOCH is
// removed from its environment.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "util/error.h"

namespace cairn {

struct SquashfsExtra {
  std::string path;  // relative to the root, e.g. "etc/rc"; its parent must be a top-level dir
  std::string content;
  mode_t mode = 0644;
};

// Writes OUTPUT (replacing it). A missing parent directory of an extra is
// added (mode 0755, root-owned, TIME); one that is not a directory is
// Errc::unsupported. No mksquashfs on PATH: ELIBACC. mksquashfs failing is
// EIO with its stderr.
Result<void> write_squashfs(const std::string& root, const std::vector<SquashfsExtra>& extras,
                            std::uint32_t time, const std::string& staging_dir,
                            const std::string& output);

}  // namespace cairn
