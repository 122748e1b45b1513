// `cairn image prune [-a] [--dry-run]` and `cairn system prune [--dry-run]`:
// remove the images nobody asked to keep, then the data no image needs.
// image prune removes unnamed ("dangling") images, with -a every image no
// container uses; system prune is image prune followed by gc (and forgets
// the records of mounts that are gone). A mounted image or one a container
// uses is kept. --dry-run, like composefs-rs's `gc --dry-run`, says what
// would go and changes nothing: the images, and the uncompressed bytes of
// the layers only they use (what gc then finds besides, e.g. the leftovers
// of a killed import, is not counted).
#include <cstdio>
#include <map>
#include <set>

#include "cli/command.h"
#include "cli/mount_table.h"
#include "cli/text_output.h"

namespace cairn::cli {
namespace {

enum class Scope { dangling, unused };
enum class Run { for_real, dry };

// Images of SCOPE that no container uses and that are not mounted.
Result<std::vector<ImageRecord>> prunable(Store& store, Scope scope) {
  ASSIGN_OR_RETURN(auto images, store.metadata().list_images());
  ASSIGN_OR_RETURN(auto containers, store.metadata().list_containers());
  ASSIGN_OR_RETURN(auto mounts, live_mounts(store.root()));
  std::set<Digest> used;
  for (const ContainerRecord& container : containers) used.insert(container.image_id);
  std::set<std::string> mounted;
  for (const MountRecord& mount : mounts) {
    if (mount.kind == k_image_mount) mounted.insert(mount.what);
  }
  std::erase_if(images, [&](const ImageRecord& image) {
    return (scope == Scope::dangling && !image.names.empty()) || used.contains(image.id) ||
           mounted.contains(std::string(image.top_chain.hex()));
  });
  return images;
}

// Uncompressed bytes of the layers that only GOING use.
Result<std::uint64_t> freed_bytes(Store& store, const std::vector<ImageRecord>& going) {
  ASSIGN_OR_RETURN(auto images, store.metadata().list_images());
  std::set<Digest> going_ids;
  for (const ImageRecord& image : going) going_ids.insert(image.id);
  std::map<Digest, std::uint64_t> candidates;
  std::set<Digest> kept;
  for (const ImageRecord& image : images) {
    for (const LayerRecord& layer : image.layers) {
      if (going_ids.contains(image.id)) {
        candidates[layer.diff_id] = layer.tar_size;
      } else {
        kept.insert(layer.diff_id);
      }
    }
  }
  std::uint64_t bytes = 0;
  for (const auto& [diff_id, size] : candidates) bytes += kept.contains(diff_id) ? 0 : size;
  return bytes;
}

Result<void> prune(Scope scope, Run run, bool collect, const GlobalOptions& global) {
  ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_write));
  ASSIGN_OR_RETURN(auto going, prunable(*store, scope));
  ASSIGN_OR_RETURN(std::uint64_t bytes, freed_bytes(*store, going));
  const char* verb = run == Run::dry ? "would delete" : "deleted";
  for (const ImageRecord& image : going) {
    if (run == Run::for_real) TRY(store->metadata().remove_image(image.id));
    std::printf("%s: %s\n", verb, image.id.str().c_str());
  }
  if (run == Run::for_real && (collect || !going.empty())) TRY(store->collect_garbage());
  std::printf("%s %s, %s of layers\n",
              run == Run::dry ? "would free:" : "freed:", count(going.size(), "image").c_str(),
              human_size(bytes).c_str());
  return {};
}

}  // namespace

Action define_image(CLI::App& command, const GlobalOptions& global) {
  CLI::App* sub = command.add_subcommand("prune", "Remove unnamed images (-a: all unused ones)");
  command.require_subcommand(1);
  auto all = std::make_shared<bool>(false);
  auto dry = std::make_shared<bool>(false);
  sub->add_flag("-a,--all", *all, "Every image no container uses, named or not");
  sub->add_flag("--dry-run", *dry, "Say what would be removed; change nothing");
  return [all, dry, &global] {
    return prune(*all ? Scope::unused : Scope::dangling, *dry ? Run::dry : Run::for_real, false,
                 global);
  };
}

Action define_system(CLI::App& command, const GlobalOptions& global) {
  CLI::App* sub =
      command.add_subcommand("prune", "Remove unnamed images, then all data no image needs (gc)");
  command.require_subcommand(1);
  auto dry = std::make_shared<bool>(false);
  sub->add_flag("--dry-run", *dry, "Say what would be removed; change nothing");
  return [dry, &global] {
    return prune(Scope::dangling, *dry ? Run::dry : Run::for_real, true, global);
  };
}

}  // namespace cairn::cli
