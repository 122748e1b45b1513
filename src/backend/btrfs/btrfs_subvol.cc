#include "backend/btrfs/btrfs_subvol.h"

#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <cerrno>
#include <cstring>

#include "util/sys.h"

namespace cairn::btrfs {
namespace {

// Inode number of every subvolume's root directory (BTRFS_FIRST_FREE_OBJECTID).
constexpr ino_t k_subvol_root_ino = 256;

template <typename Args>
Result<void> copy_name(Args& args, const std::string& name) {
  if (name.empty() || name.size() >= sizeof(args.name) || name.find('/') != std::string::npos) {
    return fail(Errc::bad_input, "btrfs subvolume name \"" + name + "\"");
  }
  std::memcpy(args.name, name.data(), name.size());
  return {};
}

Result<void> on_fs_of(int fd, const std::string& what) {
  struct statfs fs {};
  if (::fstatfs(fd, &fs) != 0) return fail_errno(errno, "statfs " + what);
  if (fs.f_type != static_cast<decltype(fs.f_type)>(BTRFS_SUPER_MAGIC)) {
    return fail(Errc::unsupported, what + " is not on a btrfs filesystem");
  }
  return {};
}

}  // namespace

Result<void> require_btrfs(const std::string& path) {
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open(path, O_RDONLY | O_DIRECTORY));
  return on_fs_of(fd.get(), path);
}

Result<bool> is_subvolume(int fd) {
  ASSIGN_OR_RETURN(struct stat st, sys::fstat(fd, "subvolume"));
  if (!S_ISDIR(st.st_mode) || st.st_ino != k_subvol_root_ino) return false;
  return on_fs_of(fd, "subvolume").has_value();
}

Result<void> create_subvolume(int dir_fd, const std::string& name) {
  btrfs_ioctl_vol_args args{};
  TRY(copy_name(args, name));
  if (::ioctl(dir_fd, BTRFS_IOC_SUBVOL_CREATE, &args) < 0) {
    return fail_errno(errno, "BTRFS_IOC_SUBVOL_CREATE " + name);
  }
  return {};
}

Result<void> snapshot(int source_fd, int dir_fd, const std::string& name, SnapshotMode mode) {
  btrfs_ioctl_vol_args_v2 args{};
  args.fd = source_fd;
  args.flags = mode == SnapshotMode::read_only ? BTRFS_SUBVOL_RDONLY : 0;
  TRY(copy_name(args, name));
  if (::ioctl(dir_fd, BTRFS_IOC_SNAP_CREATE_V2, &args) < 0) {
    return fail_errno(errno, "BTRFS_IOC_SNAP_CREATE_V2 " + name);
  }
  return {};
}

Result<void> set_read_only(int subvol_fd, ReadOnly value) {
  std::uint64_t flags = 0;
  if (::ioctl(subvol_fd, BTRFS_IOC_SUBVOL_GETFLAGS, &flags) < 0) {
    return fail_errno(errno, "BTRFS_IOC_SUBVOL_GETFLAGS");
  }
  if (value == ReadOnly::on) {
    flags |= BTRFS_SUBVOL_RDONLY;
  } else {
    flags &= ~static_cast<std::uint64_t>(BTRFS_SUBVOL_RDONLY);
  }
  if (::ioctl(subvol_fd, BTRFS_IOC_SUBVOL_SETFLAGS, &flags) < 0) {
    return fail_errno(errno, "BTRFS_IOC_SUBVOL_SETFLAGS");
  }
  return {};
}

Result<SubvolInfo> info(int subvol_fd) {
  btrfs_ioctl_get_subvol_info_args args{};
  // Some kernels return 1, not 0, on success.
  if (::ioctl(subvol_fd, BTRFS_IOC_GET_SUBVOL_INFO, &args) < 0) {
    return fail_errno(errno, "BTRFS_IOC_GET_SUBVOL_INFO");
  }
  SubvolInfo result;
  std::memcpy(result.uuid.data(), args.uuid, result.uuid.size());
  std::memcpy(result.parent_uuid.data(), args.parent_uuid, result.parent_uuid.size());
  // args.flags holds the root item's flags, not BTRFS_SUBVOL_*: ask again.
  std::uint64_t flags = 0;
  if (::ioctl(subvol_fd, BTRFS_IOC_SUBVOL_GETFLAGS, &flags) < 0) {
    return fail_errno(errno, "BTRFS_IOC_SUBVOL_GETFLAGS");
  }
  result.read_only = (flags & BTRFS_SUBVOL_RDONLY) != 0;
  return result;
}

Result<void> destroy(int dir_fd, const std::string& name) {
  btrfs_ioctl_vol_args args{};
  TRY(copy_name(args, name));
  if (::ioctl(dir_fd, BTRFS_IOC_SNAP_DESTROY, &args) < 0) {
    if (errno == ENOENT) return {};
    return fail_errno(errno, "BTRFS_IOC_SNAP_DESTROY " + name);
  }
  return {};
}

Result<UniqueFd> open_dir(int dir_fd, const std::string& name) {
  return sys::open_at(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
}

}  // namespace cairn::btrfs
