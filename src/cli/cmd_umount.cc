// `cairn umount NAME|IMAGE|DIR`: undoes `cairn mount`. An argument that
// names an existing directory is taken as the mount point; else a container
// NAME comes first, then an image: unmounted from its default mount point
// and from every DIR `mount NAME DIR` put it at (cli/mount_table.h).
#include <sys/stat.h>

#include "cli/command.h"
#include "cli/mount_table.h"
#include "util/sys.h"

namespace cairn::cli {
namespace {

Result<void> unmount_recorded(Store& store, const std::string& path) {
  TRY(store.backend().unmount(path));
  return forget_mount(store.root(), path);
}

// Every recorded mount of KIND WHAT; when none is recorded, DEFAULT_PATH (the
// backend's error if that is not mounted either).
Result<void> unmount_all_of(Store& store, const std::string& kind, const std::string& what,
                            const std::string& default_path) {
  ASSIGN_OR_RETURN(auto mounts, mounts_of(store.root(), kind, what));
  for (const MountRecord& mount : mounts) TRY(unmount_recorded(store, mount.path));
  if (!mounts.empty()) return {};
  return unmount_recorded(store, default_path);
}

Result<void> run_umount(const std::string& arg, const GlobalOptions& global) {
  ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_only));
  auto st = sys::stat(arg);
  if (st && S_ISDIR(st->st_mode)) return unmount_recorded(*store, arg);
  ASSIGN_OR_RETURN(auto container, store->metadata().find_container(arg));
  if (container) {
    ASSIGN_OR_RETURN(std::string path, store->backend().container_mount_point(arg));
    return unmount_all_of(*store, k_container_mount, arg, path);
  }
  ASSIGN_OR_RETURN(ImageRecord image, store->metadata().resolve_image(arg));
  ASSIGN_OR_RETURN(std::string path, store->backend().default_mount_point(image.top_chain));
  return unmount_all_of(*store, k_image_mount, std::string(image.top_chain.hex()), path);
}

}  // namespace

Action define_umount(CLI::App& command, const GlobalOptions& global) {
  auto arg = std::make_shared<std::string>();
  command.add_option("target", *arg, "Container name, image name or id, or the mount directory")
      ->required();
  return [arg, &global] { return run_umount(*arg, global); };
}

}  // namespace cairn::cli
