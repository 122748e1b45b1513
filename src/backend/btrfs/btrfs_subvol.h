// The few btrfs subvolume ioctls the btrfs backend needs (<linux/btrfs.h>),
// each wrapped once with its error naming the call and the object. Subvolumes
// are addressed as (directory fd, name) for create/snapshot/destroy and by an
// fd on the subvolume's root for flags and info; all fds are UniqueFd.
//
// Needs CAP_SYS_ADMIN for snapshots and destroy (we run as root).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "util/error.h"
#include "util/unique_fd.h"

namespace cairn::btrfs {

using Uuid = std::array<std::uint8_t, 16>;

struct SubvolInfo {
  Uuid uuid{};
  Uuid parent_uuid{};  // the subvolume this one is a snapshot of; all zero if none
  bool read_only = false;
};

enum class SnapshotMode { writable, read_only };
enum class ReadOnly { off, on };

// Errc::unsupported unless PATH is on a btrfs filesystem.
Result<void> require_btrfs(const std::string& path);
// True if FD is the root directory of a subvolume.
Result<bool> is_subvolume(int fd);

// BTRFS_IOC_SUBVOL_CREATE: an empty subvolume DIR_FD/NAME.
Result<void> create_subvolume(int dir_fd, const std::string& name);
// BTRFS_IOC_SNAP_CREATE_V2: DIR_FD/NAME becomes a snapshot of SOURCE_FD's subvolume.
Result<void> snapshot(int source_fd, int dir_fd, const std::string& name, SnapshotMode mode);
// BTRFS_IOC_SUBVOL_SETFLAGS: sets or clears BTRFS_SUBVOL_RDONLY.
Result<void> set_read_only(int subvol_fd, ReadOnly value);
// BTRFS_IOC_GET_SUBVOL_INFO.
Result<SubvolInfo> info(int subvol_fd);
// BTRFS_IOC_SNAP_DESTROY: removes the subvolume DIR_FD/NAME with everything
// in it (read-only ones too). A missing NAME is fine.
Result<void> destroy(int dir_fd, const std::string& name);

// Opens DIR_FD/NAME as a directory (O_RDONLY | O_DIRECTORY | O_NOFOLLOW).
Result<UniqueFd> open_dir(int dir_fd, const std::string& name);

}  // namespace cairn::btrfs
