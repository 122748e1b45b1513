// What `cairn mount` mounted, so that `mount` with no argument can list it,
// `umount NAME` finds a mount made at a DIR of the user's, and `rmi` refuses
// an image that is still mounted.
//
// One record per mount point: ROOT/mounts/.records/<sha256 of the path>,
// two lines: "image <top chain hex>" or "container <name>", then the path.
// A record whose path is no longer a mount point is stale and dropped when
// read. Only mounts the backend made are recorded: the trees that dir,
// btrfs and zfs keep are not (a zfs dataset is a mount point of its own, but
// not one `mount` made).
#pragma once

#include <string>
#include <vector>

#include "util/error.h"

namespace cairn::cli {

struct MountRecord {
  std::string kind;  // "image" or "container"
  std::string what;  // top chain hex, or container name
  std::string path;
};

// Records PATH if it is a mount point (else does nothing).
Result<void> remember_mount(const std::string& root, const MountRecord& record);
// The records whose paths are still mounted; stale ones are removed.
Result<std::vector<MountRecord>> live_mounts(const std::string& root);
Result<void> forget_mount(const std::string& root, const std::string& path);

}  // namespace cairn::cli
