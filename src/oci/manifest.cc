#include "oci/manifest.h"

#include <nlohmann/json.hpp>

#include "oci/json_depth.h"
#include "oci/media_types.h"

namespace cairn {
namespace {

using Json = nlohmann::json;

Result<Json> parse_json(std::string_view text, std::string_view what) {
  if (text.size() > k_max_json_document) {
    return fail(Errc::bad_input, std::string(what) + ": larger than " +
                                     std::to_string(k_max_json_document) + " bytes");
  }
  if (json_deeper_than(text)) {
    return fail(Errc::bad_input, std::string(what) + ": nested deeper than " +
                                     std::to_string(k_max_json_depth) + " levels");
  }
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return fail(Errc::bad_input, std::string(what) + ": malformed JSON");
  if (!doc.is_object()) return fail(Errc::bad_input, std::string(what) + ": not a JSON object");
  return doc;
}

std::unexpected<Error> bad_field(std::string_view what, std::string_view field,
                                 std::string_view problem) {
  return fail(Errc::bad_input,
              std::string(what) + ": field \"" + std::string(field) + "\" " + std::string(problem));
}

// An optional string member: empty if absent; bad_input if not a string.
Result<std::string> opt_string(const Json& obj, std::string_view key, std::string_view what) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string()) return bad_field(what, key, "is not a string");
  return it->get<std::string>();
}

Result<std::string> req_string(const Json& obj, std::string_view key, std::string_view what) {
  if (!obj.contains(key)) return bad_field(what, key, "is missing");
  return opt_string(obj, key, what);
}

Result<const Json*> req_array(const Json& obj, std::string_view key, std::string_view what) {
  auto it = obj.find(key);
  if (it == obj.end()) return bad_field(what, key, "is missing");
  if (!it->is_array()) return bad_field(what, key, "is not an array");
  return &*it;
}

Result<std::map<std::string, std::string>> parse_annotations(const Json& obj,
                                                             std::string_view what) {
  std::map<std::string, std::string> out;
  auto it = obj.find("annotations");
  if (it == obj.end() || it->is_null()) return out;
  if (!it->is_object()) return bad_field(what, "annotations", "is not an object");
  for (const auto& [key, value] : it->items()) {
    if (!value.is_string()) return bad_field(what, "annotations", "has a non-string value");
    out.emplace(key, value.get<std::string>());
  }
  return out;
}

Result<Platform> parse_descriptor_platform(const Json& obj, std::string_view what) {
  if (!obj.is_object()) return bad_field(what, "platform", "is not an object");
  ASSIGN_OR_RETURN(std::string os, req_string(obj, "os", what));
  ASSIGN_OR_RETURN(std::string arch, req_string(obj, "architecture", what));
  ASSIGN_OR_RETURN(std::string variant, opt_string(obj, "variant", what));
  return Platform{std::move(os), std::move(arch), std::move(variant)};
}

Result<Descriptor> parse_descriptor(const Json& obj, std::string_view what) {
  if (!obj.is_object())
    return fail(Errc::bad_input, std::string(what) + ": descriptor is not an object");
  ASSIGN_OR_RETURN(std::string media_type, req_string(obj, "mediaType", what));
  ASSIGN_OR_RETURN(std::string digest_text, req_string(obj, "digest", what));
  auto digest = Digest::parse(digest_text);
  if (!digest) return fail(std::move(digest.error()).wrap(what));
  auto size = obj.find("size");
  if (size == obj.end() || !size->is_number_unsigned()) {
    return bad_field(what, "size", "is missing or not a non-negative integer");
  }
  Descriptor d{std::move(media_type), std::move(*digest), size->get<std::uint64_t>(), {}, {}};
  if (auto p = obj.find("platform"); p != obj.end() && !p->is_null()) {
    ASSIGN_OR_RETURN(d.platform, parse_descriptor_platform(*p, what));
  }
  ASSIGN_OR_RETURN(d.annotations, parse_annotations(obj, what));
  return d;
}

Result<void> check_schema_version(const Json& doc, std::string_view what) {
  auto it = doc.find("schemaVersion");
  if (it == doc.end() || !it->is_number_integer()) {
    return bad_field(what, "schemaVersion", "is missing or not an integer");
  }
  if (*it == 1)
    return fail(Errc::unsupported, std::string(what) + ": Docker schema 1 is not supported");
  if (*it != 2) return fail(Errc::unsupported, std::string(what) + ": unsupported schemaVersion");
  return {};
}

Result<std::vector<Descriptor>> parse_layers(const Json& doc, std::string_view what) {
  ASSIGN_OR_RETURN(const Json* array, req_array(doc, "layers", what));
  std::vector<Descriptor> layers;
  for (const Json& item : *array) {
    ASSIGN_OR_RETURN(Descriptor layer, parse_descriptor(item, what));
    auto compression = media_type::layer_compression(layer.media_type);
    if (!compression) return fail(std::move(compression.error()).wrap(what));
    layers.push_back(std::move(layer));
  }
  return layers;
}

}  // namespace

Result<DocumentKind> document_kind(std::string_view json, std::string_view what) {
  ASSIGN_OR_RETURN(Json doc, parse_json(json, what));
  ASSIGN_OR_RETURN(std::string type, opt_string(doc, "mediaType", what));
  if (media_type::is_schema1(type) || (doc.contains("fsLayers") && !doc.contains("layers"))) {
    return fail(Errc::unsupported, std::string(what) + ": Docker schema 1 is not supported");
  }
  if (media_type::is_index(type)) return DocumentKind::index;
  if (media_type::is_image_manifest(type)) return DocumentKind::manifest;
  if (!type.empty()) {
    return fail(Errc::unsupported, std::string(what) + ": unsupported media type \"" + type + "\"");
  }
  if (doc.contains("manifests")) return DocumentKind::index;
  if (doc.contains("config")) return DocumentKind::manifest;
  return fail(Errc::bad_input, std::string(what) + ": neither an image manifest nor an index");
}

Result<ImageManifest> parse_manifest(std::string_view json, std::string_view what) {
  ASSIGN_OR_RETURN(Json doc, parse_json(json, what));
  TRY(check_schema_version(doc, what));
  ASSIGN_OR_RETURN(std::string type, opt_string(doc, "mediaType", what));
  if (!type.empty() && !media_type::is_image_manifest(type)) {
    return fail(Errc::unsupported,
                std::string(what) + ": not an image manifest (\"" + type + "\")");
  }
  auto config = doc.find("config");
  if (config == doc.end()) return bad_field(what, "config", "is missing");
  ASSIGN_OR_RETURN(Descriptor config_desc, parse_descriptor(*config, what));
  if (!media_type::is_image_config(config_desc.media_type)) {
    return fail(Errc::unsupported, std::string(what) + ": not a container image (config type \"" +
                                       config_desc.media_type + "\")");
  }
  ASSIGN_OR_RETURN(std::vector<Descriptor> layers, parse_layers(doc, what));
  return ImageManifest{std::move(type), std::move(config_desc), std::move(layers)};
}

Result<ImageIndex> parse_index(std::string_view json, std::string_view what) {
  ASSIGN_OR_RETURN(Json doc, parse_json(json, what));
  TRY(check_schema_version(doc, what));
  ASSIGN_OR_RETURN(std::string type, opt_string(doc, "mediaType", what));
  if (!type.empty() && !media_type::is_index(type)) {
    return fail(Errc::unsupported, std::string(what) + ": not an image index (\"" + type + "\")");
  }
  ASSIGN_OR_RETURN(const Json* array, req_array(doc, "manifests", what));
  ImageIndex index{std::move(type), {}, {}};
  for (const Json& item : *array) {
    ASSIGN_OR_RETURN(Descriptor d, parse_descriptor(item, what));
    index.manifests.push_back(std::move(d));
  }
  ASSIGN_OR_RETURN(index.annotations, parse_annotations(doc, what));
  return index;
}

Result<ImageConfig> parse_config(std::string_view json, std::string_view what) {
  ASSIGN_OR_RETURN(Json doc, parse_json(json, what));
  ImageConfig config;
  ASSIGN_OR_RETURN(config.platform.os, opt_string(doc, "os", what));
  ASSIGN_OR_RETURN(config.platform.architecture, opt_string(doc, "architecture", what));
  ASSIGN_OR_RETURN(config.platform.variant, opt_string(doc, "variant", what));
  auto rootfs = doc.find("rootfs");
  if (rootfs == doc.end() || !rootfs->is_object()) {
    return bad_field(what, "rootfs", "is missing or not an object");
  }
  ASSIGN_OR_RETURN(std::string rootfs_type, req_string(*rootfs, "type", what));
  if (rootfs_type != "layers") {
    return fail(Errc::unsupported,
                std::string(what) + ": rootfs.type is \"" + rootfs_type + "\", not \"layers\"");
  }
  ASSIGN_OR_RETURN(const Json* diff_ids, req_array(*rootfs, "diff_ids", what));
  for (const Json& item : *diff_ids) {
    if (!item.is_string()) return bad_field(what, "rootfs.diff_ids", "has a non-string entry");
    auto digest = Digest::parse(item.get<std::string>());
    if (!digest) return fail(std::move(digest.error()).wrap(what));
    config.diff_ids.push_back(std::move(*digest));
  }
  return config;
}

Result<void> check_layer_count(const ImageManifest& manifest, const ImageConfig& config,
                               std::string_view what) {
  if (manifest.layers.size() == config.diff_ids.size()) return {};
  return fail(Errc::bad_input, std::string(what) + ": " + std::to_string(manifest.layers.size()) +
                                   " layers but " + std::to_string(config.diff_ids.size()) +
                                   " diff_ids in the config");
}

}  // namespace cairn
