// `cairn umount IMAGE|DIR`: undoes `cairn mount`. An argument that names an
// existing directory is taken as the mount point; anything else as an image,
// unmounted from its default mount point.
#include <sys/stat.h>

#include "cli/command.h"
#include "util/sys.h"

namespace cairn::cli {
namespace {

Result<void> run_umount(const std::string& arg, const GlobalOptions& global) {
  ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_only));
  auto st = sys::stat(arg);
  if (st && S_ISDIR(st->st_mode)) return store->backend().unmount(arg);
  ASSIGN_OR_RETURN(ImageRecord image, store->metadata().resolve_image(arg));
  ASSIGN_OR_RETURN(std::string path, store->backend().default_mount_point(image.top_chain));
  return store->backend().unmount(path);
}

}  // namespace

Action define_umount(CLI::App& command, const GlobalOptions& global) {
  auto arg = std::make_shared<std::string>();
  command.add_option("target", *arg, "Image name or id, or the mount directory")->required();
  return [arg, &global] { return run_umount(*arg, global); };
}

}  // namespace cairn::cli
