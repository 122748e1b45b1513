// Owner, mode, xattrs and times of one inode, as a layer entry describes
// them, applied in the order that keeps them all: chown first (it clears
// setuid/setgid and security.capability), then chmod, then xattrs, and the
// times last so that nothing changes them afterwards.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "layer/tar_entry.h"
#include "util/error.h"

namespace cairn {

// How to reach an inode: through a descriptor of it (regular files and
// directories), or as NAME in the directory DIR_FD without following a
// symlink (symlinks, devices, fifos).
struct InodeRef {
  int fd = -1;
  int dir_fd = -1;
  std::string name;
  static InodeRef of_fd(int fd) {
    InodeRef r;
    r.fd = fd;
    return r;
  }
  static InodeRef at(int dir_fd, std::string name) {
    InodeRef r;
    r.dir_fd = dir_fd;
    r.name = std::move(name);
    return r;
  }
  bool by_fd() const { return fd >= 0; }
};

enum class Chmod { apply, skip };             // skip: symlinks have no mode
enum class OldXattrs { none, clear_others };  // clear_others: an inode updated in place

// Xattrs that belong to the host, never to an image: security.selinux and
// system.nfs4_acl (umoci's ignore list). They are neither set nor removed.
bool is_host_xattr(std::string_view name);

// lchown + chmod (07777 bits of entry.mode).
Result<void> apply_owner_mode(const InodeRef& ref, const TarEntry& entry, Chmod chmod);

// Makes the inode's xattrs equal to XATTRS (host xattrs aside). An xattr the
// filesystem does not support (ENOTSUP) is skipped and counted in *SKIPPED,
// as umoci does; any other failure is an error.
Result<void> apply_xattrs(const InodeRef& ref, const std::vector<Xattr>& xattrs, OldXattrs old,
                          std::uint64_t* skipped);

// Sets atime and mtime (atime = mtime, as umoci without a pax atime).
Result<void> apply_times(const InodeRef& ref, const TarEntry& entry);

}  // namespace cairn
