// Containers: `cairn create IMAGE NAME` makes a writable copy-on-write copy
// of the image's rootfs (btrfs and zfs backends), `cairn rm NAME` destroys
// it, `cairn ps` lists them; `cairn mount NAME` prints a container's path.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/text_output.h"

namespace cairn::cli {
namespace {

Result<void> run_create(const std::string& ref, const std::string& name,
                        const GlobalOptions& global) {
  ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_write));
  ASSIGN_OR_RETURN(ImageRecord image, store->metadata().resolve_image(ref));
  ASSIGN_OR_RETURN(std::string path, store->create_container(image, name));
  if (global.json) {
    nlohmann::json out = {{"name", name}, {"image", image.id.str()}, {"path", path}};
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("%s\n", path.c_str());
  }
  return {};
}

Result<void> run_rm(const std::string& name, const GlobalOptions& global) {
  ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_write));
  TRY(store->remove_container(name));
  std::printf("removed: %s\n", name.c_str());
  return {};
}

Result<void> run_ps(const GlobalOptions& global) {
  ASSIGN_OR_RETURN(auto store, open_store_to_list(global));
  std::vector<ContainerRecord> containers;
  if (store) {
    ASSIGN_OR_RETURN(containers, store->metadata().list_containers());
  }
  if (global.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const ContainerRecord& c : containers) {
      out.push_back({{"name", c.name}, {"image", c.image_id.str()}, {"created", c.created}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return {};
  }
  std::printf("%-30s %-12s  %s\n", "NAME", "IMAGE ID", "CREATED");
  for (const ContainerRecord& c : containers) {
    std::printf("%-30s %-12s  %s\n", c.name.c_str(), std::string(c.image_id.short_hex()).c_str(),
                utc_time(c.created).c_str());
  }
  return {};
}

}  // namespace

Action define_create(CLI::App& command, const GlobalOptions& global) {
  auto ref = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();
  command.add_option("image", *ref, "Image name or id")->required();
  command.add_option("name", *name, "Container name")->required();
  return [ref, name, &global] { return run_create(*ref, *name, global); };
}

Action define_rm(CLI::App& command, const GlobalOptions& global) {
  auto name = std::make_shared<std::string>();
  command.add_option("name", *name, "Container name")->required();
  return [name, &global] { return run_rm(*name, global); };
}

Action define_ps(CLI::App& command, const GlobalOptions& global) {
  // cairn's containers do not run by themselves (cairn run is in the
  // foreground), so every container is listed with or without -a.
  command.add_flag("-a,--all")
      ->description("List all containers (the default: cairn lists them all)");
  return [&global] { return run_ps(global); };
}

}  // namespace cairn::cli
