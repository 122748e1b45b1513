// `cairn mount NAME [DIR]`: makes a root filesystem readable and prints its
// path on the last line. A container named NAME comes first: its writable
// tree's path is printed (btrfs, zfs: the tree itself; composefs mounts it
// read-write at DIR or ROOT/mounts/containers/NAME). Otherwise NAME is an image: for the dir, btrfs and
// zfs backends its tree is already a directory (read it, do not write to it;
// DIR is refused); the composefs backend mounts it read-only, at DIR or
// ROOT/mounts/<top-chain>.
#include <cstdio>

#include "cli/command.h"

namespace cairn::cli {

Action define_mount(CLI::App& command, const GlobalOptions& global) {
  auto ref = std::make_shared<std::string>();
  auto target = std::make_shared<std::string>();
  command.add_option("name", *ref, "Container name, or image name or id")->required();
  command.add_option("dir", *target, "Where to mount an image (default: under the store root)");
  return [ref, target, &global]() -> Result<void> {
    ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_only));
    ASSIGN_OR_RETURN(auto container, store->metadata().find_container(*ref));
    std::string path;
    if (container) {
      ASSIGN_OR_RETURN(path, store->backend().mount_container(*ref, *target));
    } else {
      ASSIGN_OR_RETURN(ImageRecord image, store->metadata().resolve_image(*ref));
      ASSIGN_OR_RETURN(path, store->backend().mount_image(image.top_chain, *target));
    }
    std::printf("%s\n", path.c_str());
    return {};
  };
}

}  // namespace cairn::cli
