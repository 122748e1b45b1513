// Which backend a new store gets when none is asked for.
#pragma once

#include <string>

namespace cairn {

struct BackendChoice {
  std::string name;    // "composefs", "btrfs", "zfs" or "dir"
  std::string reason;  // why, for the user: "kernel has erofs and overlayfs data-only layers"
};

// composefs where the kernel mounts composefs images (probed, not guessed
// from the version); else btrfs or zfs when ROOT (or, for btrfs, the nearest
// directory above it that exists) is on one; else dir. Never fails: a probe
// that cannot run counts as "not available".
BackendChoice default_backend(const std::string& root);

}  // namespace cairn
