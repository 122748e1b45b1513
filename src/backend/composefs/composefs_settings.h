// The composefs backend's store settings (doc/composefs-backend.md,
// "Modes"): "composefs.mode" (flat, per-layer, hybrid) and
// "composefs.hybrid_min_images" (a number >= 1). What the command asks for
// wins for that command; what the store recorded comes next; the first open
// records the request or the default (flat, 2).
#pragma once

#include <memory>
#include <string>

#include "backend/backend_registry.h"
#include "backend/composefs/composefs_backend.h"

namespace cairn::composefs {

inline constexpr std::string_view k_mode_setting = "composefs.mode";
inline constexpr std::string_view k_hybrid_min_setting = "composefs.hybrid_min_images";

// ComposefsBackend::open() with the mode and threshold SETTINGS give.
// Errc::usage for an unknown mode or a threshold that is not a number >= 1.
Result<std::unique_ptr<ComposefsBackend>> open_configured(const std::string& store_root,
                                                          BackendSettings& settings);

}  // namespace cairn::composefs
