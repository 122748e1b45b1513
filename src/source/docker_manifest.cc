#include "source/docker_manifest.h"

#include <nlohmann/json.hpp>

#include "oci/json_depth.h"

namespace cairn {
namespace {

using Json = nlohmann::json;

Result<std::vector<std::string>> string_array(const Json& obj, const char* key, bool required,
                                              const std::string& what) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (!required) return out;
    return fail(Errc::bad_input, what + ": \"" + key + "\" is missing");
  }
  if (!it->is_array()) return fail(Errc::bad_input, what + ": \"" + key + "\" is not an array");
  for (const Json& item : *it) {
    if (!item.is_string())
      return fail(Errc::bad_input, what + ": \"" + key + "\" has a non-string");
    out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace

Result<std::vector<ArchiveImage>> parse_archive_manifest(std::string_view text,
                                                         const std::string& what) {
  if (json_deeper_than(text)) {
    return fail(Errc::bad_input,
                what + ": nested deeper than " + std::to_string(k_max_json_depth) + " levels");
  }
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_array() || doc.empty()) {
    return fail(Errc::bad_input, what + ": not a non-empty JSON array");
  }
  std::vector<ArchiveImage> images;
  for (const Json& item : doc) {
    auto config = item.is_object() ? item.find("Config") : item.end();
    if (!item.is_object() || config == item.end() || !config->is_string()) {
      return fail(Errc::bad_input, what + ": entry without a \"Config\" string");
    }
    ArchiveImage image{config->get<std::string>(), {}, {}};
    ASSIGN_OR_RETURN(image.repo_tags, string_array(item, "RepoTags", false, what));
    ASSIGN_OR_RETURN(image.layers, string_array(item, "Layers", true, what));
    images.push_back(std::move(image));
  }
  return images;
}

}  // namespace cairn
