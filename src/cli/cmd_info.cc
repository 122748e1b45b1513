// `cairn info`: what cairn is and what it works on: version, store root,
// backend and why it was chosen, the kernel features cairn probes, and how
// much the store holds. Works without a store (then says which backend a new
// one would get) and never creates one.
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "backend/composefs/mount.h"
#include "cli/command.h"
#include "cli/image_json.h"
#include "cli/text_output.h"

namespace cairn::cli {
namespace {

struct StoreCounts {
  size_t images = 0;
  size_t containers = 0;
  size_t layers = 0;
  std::uint64_t logical_bytes = 0;  // distinct layers, uncompressed
};

Result<StoreCounts> counts_of(Store& store) {
  ASSIGN_OR_RETURN(auto images, store.metadata().list_images());
  ASSIGN_OR_RETURN(auto containers, store.metadata().list_containers());
  std::map<Digest, std::uint64_t> layers;
  for (const ImageRecord& image : images) {
    for (const LayerRecord& layer : image.layers) layers[layer.diff_id] = layer.tar_size;
  }
  StoreCounts counts{images.size(), containers.size(), layers.size(), 0};
  for (const auto& [diff_id, size] : layers) counts.logical_bytes += size;
  return counts;
}

Result<std::string> setting_or(Store& store, const std::string& key, const std::string& fallback) {
  ASSIGN_OR_RETURN(auto value, store.metadata().setting(key));
  return value ? *value : fallback;
}

Result<nlohmann::json> info_json(const GlobalOptions& global) {
  nlohmann::json out = {{"version", CAIRN_VERSION}, {"root", global.root}};
  auto composefs = composefs::check_kernel_support();
  out["kernel"] = {{"composefs", composefs.has_value()},
                   {"composefs_detail", composefs ? "erofs, overlayfs data-only lower layers"
                                                  : composefs.error().message()}};
  ASSIGN_OR_RETURN(auto store, open_store_to_list(global));
  if (!store) {
    BackendChoice choice = default_backend(global.root);
    out["store"] = nullptr;
    out["new_store_backend"] = {{"name", choice.name}, {"reason", choice.reason}};
    return out;
  }
  ASSIGN_OR_RETURN(StoreCounts counts, counts_of(*store));
  ASSIGN_OR_RETURN(std::string reason, setting_or(*store, "backend.reason", "not recorded"));
  out["store"] = {{"backend", store->backend().name()},
                  {"backend_reason", reason},
                  {"images", counts.images},
                  {"containers", counts.containers},
                  {"layers", counts.layers},
                  {"logical_bytes", counts.logical_bytes}};
  if (store->backend().name() == "composefs") {
    ASSIGN_OR_RETURN(out["store"]["composefs_mode"], setting_or(*store, "composefs.mode", "flat"));
  }
  return out;
}

void print_text(const nlohmann::json& info) {
  std::printf("version: cairn %s\n", info["version"].get<std::string>().c_str());
  std::printf("root: %s\n", info["root"].get<std::string>().c_str());
  const nlohmann::json& kernel = info["kernel"];
  std::printf("kernel: composefs %s (%s)\n", kernel["composefs"].get<bool>() ? "yes" : "no",
              kernel["composefs_detail"].get<std::string>().c_str());
  if (info["store"].is_null()) {
    const nlohmann::json& next = info["new_store_backend"];
    std::printf("store: none yet; the first import creates one with the %s backend: %s\n",
                next["name"].get<std::string>().c_str(), next["reason"].get<std::string>().c_str());
    return;
  }
  const nlohmann::json& store = info["store"];
  std::printf("backend: %s (%s)\n", store["backend"].get<std::string>().c_str(),
              store["backend_reason"].get<std::string>().c_str());
  if (store.contains("composefs_mode")) {
    std::printf("composefs mode: %s\n", store["composefs_mode"].get<std::string>().c_str());
  }
  std::printf("holds: %s, %s, %s (%s uncompressed)\n",
              count(store["images"].get<size_t>(), "image").c_str(),
              count(store["containers"].get<size_t>(), "container").c_str(),
              count(store["layers"].get<size_t>(), "layer").c_str(),
              human_size(store["logical_bytes"].get<std::uint64_t>()).c_str());
}

}  // namespace

Action define_info(CLI::App&, const GlobalOptions& global) {
  return [&global]() -> Result<void> {
    ASSIGN_OR_RETURN(nlohmann::json info, info_json(global));
    if (global.json) {
      std::printf("%s\n", info.dump(2).c_str());
    } else {
      print_text(info);
    }
    return {};
  };
}

}  // namespace cairn::cli
