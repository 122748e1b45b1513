// `cairn mount IMAGE [DIR]`: makes the image's root filesystem readable and
// prints its path on the last line. For the dir backend the image tree is
// already a directory (read it, do not write to it; DIR is refused); the
// composefs backend mounts it read-only, at DIR or ROOT/mounts/<top-chain>.
#include <cstdio>

#include "cli/command.h"

namespace cairn::cli {

Action define_mount(CLI::App& command, const GlobalOptions& global) {
  auto ref = std::make_shared<std::string>();
  auto target = std::make_shared<std::string>();
  command.add_option("image", *ref, "Image name or id")->required();
  command.add_option("dir", *target, "Where to mount (default: under the store root)");
  return [ref, target, &global]() -> Result<void> {
    ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_only));
    ASSIGN_OR_RETURN(ImageRecord image, store->metadata().resolve_image(*ref));
    ASSIGN_OR_RETURN(std::string path, store->backend().mount_image(image.top_chain, *target));
    std::printf("%s\n", path.c_str());
    return {};
  };
}

}  // namespace cairn::cli
