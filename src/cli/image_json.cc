#include "cli/image_json.h"

#include "cli/text_output.h"

namespace cairn::cli {

std::uint64_t image_size(const ImageRecord& image) {
  std::uint64_t total = 0;
  for (const LayerRecord& layer : image.layers) total += layer.tar_size;
  return total;
}

std::optional<std::string> image_built(const ImageRecord& image) {
  auto config = nlohmann::json::parse(image.config, nullptr, false);
  if (!config.is_object() || !config.contains("created") || !config["created"].is_string()) {
    return std::nullopt;
  }
  return config["created"].get<std::string>();
}

std::string image_created_text(const ImageRecord& image) {
  auto built = image_built(image);
  // RFC 3339 "2024-05-01T10:20:30.123456789Z" shown as "2024-05-01 10:20:30Z"
  if (!built || built->size() < 20 || (*built)[10] != 'T' || built->back() != 'Z')
    return utc_time(image.created);
  return built->substr(0, 10) + " " + built->substr(11, 8) + "Z";
}

nlohmann::json image_summary_json(const ImageRecord& image) {
  auto built = image_built(image);
  return {
      {"id", image.id.str()},          {"names", image.names},
      {"layers", image.layers.size()}, {"size", image_size(image)},
      {"created", image.created},      {"image_created", built ? nlohmann::json(*built) : nullptr}};
}

nlohmann::json image_detail_json(const ImageRecord& image) {
  nlohmann::json layers = nlohmann::json::array();
  for (size_t i = 0; i < image.layers.size(); ++i) {
    const LayerRecord& layer = image.layers[i];
    nlohmann::json entry = {{"index", i},
                            {"diff_id", layer.diff_id.str()},
                            {"chain_id", layer.chain_id.str()},
                            {"media_type", layer.media_type},
                            {"size", layer.tar_size}};
    entry["blob_digest"] = layer.blob_digest ? nlohmann::json(layer.blob_digest->str()) : nullptr;
    entry["blob_size"] = layer.blob_size ? nlohmann::json(*layer.blob_size) : nullptr;
    layers.push_back(std::move(entry));
  }
  nlohmann::json out = image_summary_json(image);
  out["manifest_digest"] =
      image.manifest_digest ? nlohmann::json(image.manifest_digest->str()) : nullptr;
  out["source"] = image.source;
  out["top_chain"] = image.top_chain.str();
  out["layers"] = std::move(layers);
  out["config"] = nlohmann::json::parse(image.config, nullptr, false);
  return out;
}

}  // namespace cairn::cli
