#include <cstdio>

#include "cli/command.h"

namespace cairn::cli {

// For the dir, btrfs and zfs backends an image tree is already a directory:
// mount prints its path (read it, do not write to it). A container of that
// name comes first: its writable tree's path is printed instead.
Action define_mount(CLI::App& command, const GlobalOptions& global) {
  auto ref = std::make_shared<std::string>();
  command.add_option("name", *ref, "Container name, or image name or id")->required();
  return [ref, &global]() -> Result<void> {
    ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_only));
    ASSIGN_OR_RETURN(auto container, store->metadata().find_container(*ref));
    if (container) {
      ASSIGN_OR_RETURN(std::string path, store->backend().container_path(*ref));
      std::printf("%s\n", path.c_str());
      return {};
    }
    ASSIGN_OR_RETURN(ImageRecord image, store->metadata().resolve_image(*ref));
    ASSIGN_OR_RETURN(std::string path, store->backend().rootfs_path(image.top_chain));
    std::printf("%s\n", path.c_str());
    return {};
  };
}

}  // namespace cairn::cli
