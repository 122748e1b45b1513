// Kernel mounts of composefs images, with the new mount API (fsopen,
// fsconfig, fsmount, move_mount; Linux >= 6.8 for overlay's "lowerdir+" and
// "datadir+").
//
// An EROFS image is mounted read-only as a detached mount (never attached to
// the filesystem tree): from the image file directly where the kernel reads
// EROFS from files (6.12+), else through a loop device that is cleared
// automatically once the mount goes. Overlayfs then takes the detached mounts
// as lower layers by their /proc/self/fd path, and the object store as its
// data-only layer; only the overlay is attached at the target. Unmounting the
// overlay releases everything below it.
//
// Errors carry the kernel's fs-context messages where it gives any. Needs
// CAP_SYS_ADMIN.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "util/error.h"
#include "util/unique_fd.h"

namespace cairn::composefs {

// Succeeds if this kernel mounts composefs images: it has erofs, and
// overlayfs takes data-only lower layers ("lowerdir+" and "datadir+" are
// accepted, which is checked without mounting anything); else says what is
// missing. Without CAP_SYS_ADMIN fsopen fails with EPERM.
Result<void> check_kernel_support();

// A detached read-only mount of the EROFS image at IMAGE.
Result<UniqueFd> mount_erofs(const std::string& image);

enum class Attach { detached, at_target };

// A container's writable layer: overlay upperdir and workdir (same filesystem).
struct WritableLayer {
  std::string upper;
  std::string work;
};

// An overlay of LOWERS (mount fds, topmost first) over the data-only layer
// DATA_DIR (metacopy files redirect into it), read-only. With an empty
// DATA_DIR it is a stack of per-layer overlays instead: mounted with
// "userxattr", so that the user.overlay.* whiteout and opaque markers the
// composefs writer puts next to its escaped trusted ones (and per-layer
// opaque directories, merge.h) steer it and are hidden from its listing. Attach::at_target
// moves it to TARGET and returns an empty fd; Attach::detached returns the
// mount fd (TARGET unused). With WRITABLE the overlay is read-write over that
// upper layer (a container), else read-only.
Result<UniqueFd> mount_overlay(const std::vector<int>& lowers, const std::string& data_dir,
                               Attach attach, const std::string& target,
                               const std::optional<WritableLayer>& writable = std::nullopt);

// The mount points of overlays whose upperdir is UPPER (from /proc/self/mountinfo).
Result<std::vector<std::string>> overlays_with_upper(const std::string& upper);

// umount2(TARGET, 0).
Result<void> unmount_path(const std::string& target);

// True if PATH is the root of a mount.
Result<bool> is_mount_point(const std::string& path);

}  // namespace cairn::composefs
