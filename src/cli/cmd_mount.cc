#include <cstdio>

#include "cli/command.h"

namespace cairn::cli {

// For the dir backend the image tree is already a directory: mount prints
// its path (read it, do not write to it).
Action define_mount(CLI::App& command, const GlobalOptions& global) {
  auto ref = std::make_shared<std::string>();
  command.add_option("image", *ref, "Image name or id")->required();
  return [ref, &global]() -> Result<void> {
    ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_only));
    ASSIGN_OR_RETURN(ImageRecord image, store->metadata().resolve_image(*ref));
    ASSIGN_OR_RETURN(std::string path, store->backend().rootfs_path(image.top_chain));
    std::printf("%s\n", path.c_str());
    return {};
  };
}

}  // namespace cairn::cli
