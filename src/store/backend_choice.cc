#include "store/backend_choice.h"

#include <linux/magic.h>
#include <sys/statfs.h>

#include "backend/btrfs/btrfs_subvol.h"
#include "backend/composefs/mount.h"
#include "backend/zfs/zfs_backend.h"
#include "util/sys.h"

namespace cairn {
namespace {

constexpr long k_fuse_magic = 0x65735546;  // zfs-fuse is a FUSE filesystem
constexpr long k_zfs_magic = 0x2fc12fc1;

// ROOT, or the nearest directory above it that exists.
std::string existing_ancestor(std::string path) {
  while (path.size() > 1) {
    auto present = sys::exists(path);
    if (present && *present) return path;
    path = sys::dirname(path);
  }
  return "/";
}

bool on_zfs(const std::string& root) {
  struct statfs fs {};
  if (::statfs(root.c_str(), &fs) != 0) return false;
  long type = static_cast<long>(fs.f_type);
  return (type == k_fuse_magic || type == k_zfs_magic) && ZfsBackend::serves(root);
}

}  // namespace

BackendChoice default_backend(const std::string& root) {
  auto composefs = composefs::check_kernel_support();
  if (composefs) {
    return {"composefs", "the kernel has erofs and overlayfs with data-only lower layers"};
  }
  if (btrfs::require_btrfs(existing_ancestor(root))) return {"btrfs", "the store root is on btrfs"};
  if (on_zfs(root)) return {"zfs", "the store root is the mountpoint of a ZFS dataset"};
  return {"dir", "no composefs support (" + composefs.error().message() +
                     ") and the store root is on neither btrfs nor zfs"};
}

}  // namespace cairn
