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

inline constexpr const char* k_image_mount = "image";
inline constexpr const char* k_container_mount = "container";

struct MountRecord {
  std::string kind;  // k_image_mount or k_container_mount
  std::string what;  // top chain hex, or container name
  std::string path;
};

// Records PATH if it is a mount point (else does nothing).
Result<void> remember_mount(const std::string& root, const MountRecord& record);
// The records whose paths are still mounted; stale ones are removed.
Result<std::vector<MountRecord>> live_mounts(const std::string& root);
// live_mounts() of one image (KIND k_image_mount, WHAT its top chain hex) or container.
Result<std::vector<MountRecord>> mounts_of(const std::string& root, const std::string& kind,
                                           const std::string& what);
Result<void> forget_mount(const std::string& root, const std::string& path);

}  // namespace cairn::cli
