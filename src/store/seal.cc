#include "store/seal.h"

#include <nlohmann/json.hpp>

namespace cairn {

Result<std::optional<std::string>> config_seal(std::string_view config_json) {
  auto config = nlohmann::json::parse(config_json, nullptr, false);
  if (!config.is_object()) return fail(Errc::bad_input, "image config is not a JSON object");
  auto inner = config.find("config");
  if (inner == config.end() || !inner->is_object()) return std::nullopt;
  auto labels = inner->find("Labels");
  if (labels == inner->end() || !labels->is_object()) return std::nullopt;
  auto seal = labels->find(k_seal_label);
  if (seal == labels->end()) return std::nullopt;
  auto bad = [] {
    return fail(Errc::bad_input, "image config label " + std::string(k_seal_label) +
                                     " is not 64 lowercase hex digits");
  };
  if (!seal->is_string()) return bad();
  const std::string& value = seal->get_ref<const std::string&>();
  if (value.size() != 64) return bad();
  for (char c : value) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return bad();
  }
  return value;
}

Result<void> check_seal(Backend& backend, std::string_view config_json, const Digest& top) {
  ASSIGN_OR_RETURN(std::optional<std::string> seal, config_seal(config_json));
  if (!seal) return {};
  ImageIntegrity* integrity = backend.integrity();
  if (!integrity) return {};
  ASSIGN_OR_RETURN(std::string digest, integrity->image_digest(top));
  if (digest == *seal) return {};
  return fail(Errc::digest_mismatch, "sealed image: its config's " + std::string(k_seal_label) +
                                         " is " + *seal + ", but its tree has image digest " +
                                         digest);
}

}  // namespace cairn
