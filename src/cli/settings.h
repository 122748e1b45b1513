// Where the store root and backend come from, strongest first: command-line
// flags, environment (CAIRN_ROOT, CAIRN_BACKEND), the config file
// (CAIRN_CONFIG, else /etc/cairn/cairn.conf; "key = value" lines, '#'
// comments; keys root, backend and composefs_mode), then defaults (/var/lib/cairn for root,
// $XDG_DATA_HOME/cairn or ~/.local/share/cairn for other users; the backend
// recorded in the store, else dir).
#pragma once

#include "cli/command.h"

namespace cairn::cli {

// Fills the fields the flags left empty.
Result<void> resolve_settings(GlobalOptions& global);

}  // namespace cairn::cli
