// `cairn rmi REF`: a name removes that name, and the image with it once no
// name is left; an id removes the image and all its names. The image's data
// is reclaimed at once unless another image still needs it. An image a
// container uses is not removed (Errc::busy; `cairn rm` the container first).
#include <cstdio>

#include "cli/command.h"

namespace cairn::cli {
namespace {

Result<void> run_rmi(const std::string& ref, const GlobalOptions& global) {
  ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_write));
  Metadata& metadata = store->metadata();
  ASSIGN_OR_RETURN(ImageRecord image, metadata.resolve_image(ref));
  bool by_name = std::find(image.names.begin(), image.names.end(), ref) != image.names.end();
  if (!by_name || image.names.size() <= 1) TRY(store->check_image_unused(image));
  if (by_name) {
    TRY(metadata.remove_name(ref));
    std::printf("untagged: %s\n", ref.c_str());
    if (image.names.size() > 1) return {};
  }
  TRY(metadata.remove_image(image.id));
  TRY(store->collect_garbage());
  std::printf("deleted: %s\n", image.id.str().c_str());
  return {};
}

}  // namespace

Action define_rmi(CLI::App& command, const GlobalOptions& global) {
  auto ref = std::make_shared<std::string>();
  command.add_option("image", *ref, "Image name or id")->required();
  return [ref, &global] { return run_rmi(*ref, global); };
}

}  // namespace cairn::cli
