// Where the global settings come from, strongest first: command-line flags,
// environment (CAIRN_ROOT, CAIRN_BACKEND, CAIRN_COMPOSEFS_MODE,
// CAIRN_COMPOSEFS_HYBRID_MIN, CAIRN_LIMIT_LAYER_ENTRIES,
// CAIRN_LIMIT_LAYER_BYTES, CAIRN_LIMIT_IMAGE_LAYERS), the config file
// (CAIRN_CONFIG, else /etc/cairn/cairn.conf; "key = value" lines, '#'
// comments; keys root, backend, composefs_mode, composefs_hybrid_min,
// limits.layer_entries, limits.layer_bytes, limits.image_layers and
// registry.DOMAIN.mirrors, a comma-separated list of HOST[:PORT][/PREFIX]),
// then defaults
// (/var/lib/cairn for root, $XDG_DATA_HOME/cairn or ~/.local/share/cairn for
// other users; the rest: what the store recorded, see StoreOptions).
#pragma once

#include "cli/command.h"

namespace cairn::cli {

// Fills the fields the flags left empty.
Result<void> resolve_settings(GlobalOptions& global);

}  // namespace cairn::cli
