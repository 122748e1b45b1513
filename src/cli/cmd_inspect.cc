#include <cstdio>

#include "cli/command.h"
#include "cli/image_json.h"

namespace cairn::cli {

Action define_inspect(CLI::App& command, const GlobalOptions& global) {
  auto ref = std::make_shared<std::string>();
  command.add_option("image", *ref, "Image name or id")->required();
  return [ref, &global]() -> Result<void> {
    ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_only));
    ASSIGN_OR_RETURN(ImageRecord image, store->metadata().resolve_image(*ref));
    std::printf("%s\n", image_detail_json(image).dump(2).c_str());
    return {};
  };
}

}  // namespace cairn::cli
