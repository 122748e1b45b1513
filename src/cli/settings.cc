#include "cli/settings.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <sstream>

#include "source/registry_mirrors.h"
#include "util/sys.h"

namespace cairn::cli {
namespace {

constexpr std::string_view k_config_keys[] = {"root",
                                              "backend",
                                              "composefs_mode",
                                              "composefs_hybrid_min",
                                              "limits.layer_entries",
                                              "limits.layer_bytes",
                                              "limits.image_layers"};

constexpr std::string_view k_mirror_prefix = "registry.";
constexpr std::string_view k_mirror_suffix = ".mirrors";

// "registry.DOMAIN.mirrors": DOMAIN, else empty.
std::string mirrored_domain(std::string_view key) {
  if (key.size() <= k_mirror_prefix.size() + k_mirror_suffix.size() ||
      !key.starts_with(k_mirror_prefix) || !key.ends_with(k_mirror_suffix)) {
    return {};
  }
  return std::string(key.substr(k_mirror_prefix.size(),
                                key.size() - k_mirror_prefix.size() - k_mirror_suffix.size()));
}

std::string trim(std::string_view s) {
  size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  size_t end = s.find_last_not_of(" \t\r");
  return std::string(s.substr(begin, end - begin + 1));
}

Result<std::map<std::string, std::string>> read_config() {
  const char* env = std::getenv("CAIRN_CONFIG");
  std::string path = env && *env ? env : "/etc/cairn/cairn.conf";
  ASSIGN_OR_RETURN(bool present, sys::exists(path));
  std::map<std::string, std::string> values;
  if (!present) {
    if (env && *env) return fail(Errc::not_found, "config file " + path);
    return values;
  }
  ASSIGN_OR_RETURN(std::string text, sys::read_file(path, 1 << 20));
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    std::string content = trim(line.substr(0, line.find('#')));
    if (content.empty()) continue;
    size_t eq = content.find('=');
    if (eq == std::string::npos) {
      return fail(Errc::usage, path + ":" + std::to_string(number) + ": expected key = value");
    }
    std::string key = trim(content.substr(0, eq));
    if (std::find(std::begin(k_config_keys), std::end(k_config_keys), key) ==
            std::end(k_config_keys) &&
        mirrored_domain(key).empty()) {
      return fail(Errc::usage, path + ":" + std::to_string(number) + ": unknown key \"" + key +
                                   "\" (known: root, backend, composefs_mode, "
                                   "composefs_hybrid_min, limits.layer_entries, "
                                   "limits.layer_bytes, limits.image_layers, "
                                   "registry.DOMAIN.mirrors)");
    }
    values[key] = trim(content.substr(eq + 1));
  }
  return values;
}

std::string default_root() {
  if (::geteuid() == 0) return "/var/lib/cairn";
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
    return std::string(xdg) + "/cairn";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.local/share/cairn";
}

void fill(std::string& field, const char* env_name,
          const std::map<std::string, std::string>& config, const std::string& key) {
  if (!field.empty()) return;
  if (const char* env = std::getenv(env_name); env && *env) {
    field = env;
  } else if (auto it = config.find(key); it != config.end()) {
    field = it->second;
  }
}

}  // namespace

Result<void> resolve_settings(GlobalOptions& global) {
  ASSIGN_OR_RETURN(auto config, read_config());
  fill(global.root, "CAIRN_ROOT", config, "root");
  fill(global.backend, "CAIRN_BACKEND", config, "backend");
  fill(global.mode, "CAIRN_COMPOSEFS_MODE", config, "composefs_mode");
  fill(global.hybrid_min, "CAIRN_COMPOSEFS_HYBRID_MIN", config, "composefs_hybrid_min");
  fill(global.limit_layer_entries, "CAIRN_LIMIT_LAYER_ENTRIES", config, "limits.layer_entries");
  fill(global.limit_layer_bytes, "CAIRN_LIMIT_LAYER_BYTES", config, "limits.layer_bytes");
  fill(global.limit_image_layers, "CAIRN_LIMIT_IMAGE_LAYERS", config, "limits.image_layers");
  if (global.root.empty()) global.root = default_root();
  for (const auto& [key, value] : config) {
    std::string domain = mirrored_domain(key);
    if (domain.empty()) continue;
    std::istringstream endpoints(value);
    for (std::string endpoint; std::getline(endpoints, endpoint, ',');) {
      endpoint = trim(endpoint);
      if (endpoint.empty()) continue;
      auto checked = check_mirror_endpoint(endpoint);
      if (!checked) return fail(std::move(checked).error().wrap("config " + key));
      global.mirrors.push_back({canonical_registry(domain), endpoint});
    }
  }
  return {};
}

}  // namespace cairn::cli
