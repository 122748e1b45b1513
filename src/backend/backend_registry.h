// Opening a backend by name. Each backend reads the settings it owns (keys
// "<backend>.<name>", e.g. "composefs.mode") from BackendSettings: what this
// command asked for, else what the store recorded; the first open of a
// store records them. So store/ knows no backend's options.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "backend/backend.h"
#include "util/error.h"

namespace cairn {

class BackendSettings {
 public:
  virtual ~BackendSettings() = default;
  // What this command asked for under KEY, if anything.
  virtual std::optional<std::string> requested(std::string_view key) const = 0;
  // What the store recorded under KEY, if anything.
  virtual Result<std::optional<std::string>> recorded(std::string_view key) = 0;
  virtual Result<void> record(std::string_view key, std::string_view value) = 0;
};

// The backend NAME ("dir", "composefs", "btrfs", "zfs") for the store at
// ROOT, configured from SETTINGS. Errc::usage for an unknown name or a
// setting the backend refuses.
Result<std::unique_ptr<Backend>> open_backend(std::string_view name, const std::string& root,
                                              BackendSettings& settings);

}  // namespace cairn
