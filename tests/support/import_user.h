// Which backends this process can import into. The dir, btrfs and zfs
// backends apply layers on disk (layer/dir_apply.h): owners, device nodes and
// trusted.* xattrs need root. composefs only stores objects and layer
// indexes and needs root to mount, so its import tests run as any user and
// read images through the layer indexes (composefs_files.h) instead.
#pragma once

#include <unistd.h>

#include <string_view>

namespace cairn::testing {

inline constexpr const char* k_dir_import_needs_root =
    "the dir backend applies layers on disk and needs root (chown, mknod)";

inline bool can_import(std::string_view backend) {
  return backend == "composefs" || ::geteuid() == 0;
}

}  // namespace cairn::testing
