// `cairn umount NAME|IMAGE|DIR`: undoes `cairn mount`. An argument that
// names an existing directory is taken as the mount point; else a container
// NAME comes first, then an image, unmounted from its default mount point.
#include <sys/stat.h>

#include "cli/command.h"
#include "util/sys.h"

namespace cairn::cli {
namespace {

Result<void> run_umount(const std::string& arg, const GlobalOptions& global) {
  ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_only));
  auto st = sys::stat(arg);
  if (st && S_ISDIR(st->st_mode)) return store->backend().unmount(arg);
  ASSIGN_OR_RETURN(auto container, store->metadata().find_container(arg));
  if (container) {
    ASSIGN_OR_RETURN(std::string path, store->backend().container_mount_point(arg));
    return store->backend().unmount(path);
  }
  ASSIGN_OR_RETURN(ImageRecord image, store->metadata().resolve_image(arg));
  ASSIGN_OR_RETURN(std::string path, store->backend().default_mount_point(image.top_chain));
  return store->backend().unmount(path);
}

}  // namespace

Action define_umount(CLI::App& command, const GlobalOptions& global) {
  auto arg = std::make_shared<std::string>();
  command.add_option("target", *arg, "Container name, image name or id, or the mount directory")->required();
  return [arg, &global] { return run_umount(*arg, global); };
}

}  // namespace cairn::cli
