// `cairn tag IMAGE NAME`: points NAME at the image IMAGE names (a name or an
// id), moving it off any other image, as `podman tag` does.
#include <cstdio>

#include "cli/command.h"

namespace cairn::cli {

Action define_tag(CLI::App& command, const GlobalOptions& global) {
  auto ref = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();
  command.add_option("image", *ref, "Image name or id")->required();
  command.add_option("name", *name, "The new name")->required();
  return [ref, name, &global]() -> Result<void> {
    ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_write));
    ASSIGN_OR_RETURN(ImageRecord image, store->metadata().resolve_image(*ref));
    TRY(store->metadata().put_image(image, *name));
    std::printf("tagged: %s -> %s\n", name->c_str(), image.id.str().c_str());
    return {};
  };
}

}  // namespace cairn::cli
