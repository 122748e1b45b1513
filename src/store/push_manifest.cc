#include "store/push_manifest.h"

#include <nlohmann/json.hpp>

#include "oci/media_types.h"

namespace cairn {
namespace mt = media_type;

namespace {

bool is_docker_type(std::string_view media_type) {
  return media_type.starts_with("application/vnd.docker.");
}

std::string_view layer_type(ManifestFamily family, Compression compression) {
  bool docker = family == ManifestFamily::docker;
  switch (compression) {
    case Compression::gzip: return docker ? mt::k_docker_layer_gzip : mt::k_oci_layer_gzip;
    case Compression::zstd: return docker ? mt::k_docker_layer_zstd : mt::k_oci_layer_zstd;
    case Compression::none: break;
  }
  return docker ? mt::k_docker_layer : mt::k_oci_layer;
}

}  // namespace

Compression compression_of_media_type(std::string_view media_type) {
  if (media_type.ends_with("gzip")) return Compression::gzip;
  if (media_type.ends_with("zstd")) return Compression::zstd;
  return Compression::none;
}

ManifestFamily manifest_family(const std::vector<PushedLayer>& layers) {
  for (const PushedLayer& layer : layers) {
    if (!is_docker_type(layer.original_media_type)) return ManifestFamily::oci;
    if (!layer.original_blob && layer.compression != Compression::gzip) return ManifestFamily::oci;
  }
  return layers.empty() ? ManifestFamily::oci : ManifestFamily::docker;
}

std::string pushed_layer_media_type(const PushedLayer& layer, ManifestFamily family) {
  bool same_family =
      is_docker_type(layer.original_media_type) == (family == ManifestFamily::docker);
  if (layer.original_blob && same_family) return layer.original_media_type;
  return std::string(layer_type(family, layer.compression));
}

std::string_view manifest_media_type(ManifestFamily family) {
  return family == ManifestFamily::docker ? mt::k_docker_manifest : mt::k_oci_manifest;
}

std::string build_push_manifest(ManifestFamily family, const Digest& config_digest,
                                std::uint64_t config_size, const std::vector<PushedLayer>& layers) {
  using Json = nlohmann::ordered_json;
  Json doc;
  doc["schemaVersion"] = 2;
  doc["mediaType"] = manifest_media_type(family);
  doc["config"] = {
      {"mediaType", family == ManifestFamily::docker ? mt::k_docker_config : mt::k_oci_config},
      {"digest", config_digest.str()},
      {"size", config_size}};
  doc["layers"] = Json::array();
  for (const PushedLayer& layer : layers) {
    Json descriptor = {{"mediaType", pushed_layer_media_type(layer, family)},
                       {"digest", layer.digest.str()},
                       {"size", layer.size}};
    if (!layer.annotations.empty()) descriptor["annotations"] = layer.annotations;
    doc["layers"].push_back(std::move(descriptor));
  }
  return doc.dump();
}

std::string stored_manifest_media_type(const std::string& manifest) {
  auto doc = nlohmann::json::parse(manifest, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return "";
  auto type = doc.find("mediaType");
  if (type != doc.end() && type->is_string()) return type->get<std::string>();
  return std::string(mt::k_oci_manifest);
}

}  // namespace cairn
