#include <cstdio>
#include <map>

#include "backend/composefs/composefs_settings.h"
#include "cli/command.h"

namespace cairn::cli {
namespace {

std::optional<std::string>& new_store_note() {
  static std::optional<std::string> note;
  return note;
}

// The import limits the settings give, defaults for those they leave empty.
Result<ImportLimits> limits_of(const GlobalOptions& global) {
  ImportLimits limits;
  const struct {
    const std::string& value;
    std::uint64_t& limit;
    const char* setting;
    bool bytes;
  } settings[] = {
      {global.limit_layer_entries, limits.layer_entries, "limits.layer_entries", false},
      {global.limit_layer_bytes, limits.layer_bytes, "limits.layer_bytes", true},
      {global.limit_image_layers, limits.image_layers, "limits.image_layers", false},
  };
  for (const auto& s : settings) {
    if (s.value.empty()) continue;
    ASSIGN_OR_RETURN(s.limit, parse_limit(s.setting, s.value, s.bytes));
  }
  return limits;
}

}  // namespace

Result<std::unique_ptr<Store>> open_store(const GlobalOptions& global, Access access) {
  ASSIGN_OR_RETURN(ImportLimits limits, limits_of(global));
  std::map<std::string, std::string> backend_settings;
  if (!global.mode.empty()) backend_settings.emplace(composefs::k_mode_setting, global.mode);
  if (!global.hybrid_min.empty()) {
    backend_settings.emplace(composefs::k_hybrid_min_setting, global.hybrid_min);
  }
  ASSIGN_OR_RETURN(auto store, Store::open(StoreOptions{.root = global.root,
                                                        .backend = global.backend,
                                                        .backend_settings = backend_settings,
                                                        .limits = limits},
                                           access));
  if (const auto& created = store->created()) {
    new_store_note() = "new store at " + global.root + " with the " + created->name +
                       " backend: " + created->reason;
  }
  return store;
}

void report_new_store(const GlobalOptions& global) {
  auto present = Store::exists(global.root);
  if (new_store_note() && present && *present) {
    std::fprintf(stderr, "cairn: %s\n", new_store_note()->c_str());
  }
}

Result<std::unique_ptr<Store>> open_store_to_list(const GlobalOptions& global) {
  ASSIGN_OR_RETURN(bool present, Store::exists(global.root));
  if (!present) return std::unique_ptr<Store>();
  return open_store(global, Access::read_only);
}

}  // namespace cairn::cli
