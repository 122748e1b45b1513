// The CLI's command table. Each subcommand lives in its own cmd_*.cc and
// exposes one `define_*` function that declares its options on a CLI11
// subcommand and returns the action to run once the command line is parsed.
// Actions return Result<void>; main() turns an error into
// "cairn: error: …" on stderr and an exit code (doc/cli.md).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "source/registry_mirrors.h"
#include "store/store.h"
#include "util/error.h"

namespace cairn::cli {

struct GlobalOptions {
  std::string root;     // --root / CAIRN_ROOT / config "root"
  std::string backend;  // --backend / CAIRN_BACKEND / config "backend"
  std::string mode;     // --mode / CAIRN_COMPOSEFS_MODE / config "composefs_mode"
  // --hybrid-min / CAIRN_COMPOSEFS_HYBRID_MIN / config "composefs_hybrid_min"
  std::string hybrid_min;
  // CAIRN_LIMIT_LAYER_ENTRIES / config "limits.layer_entries", and the same
  // for layer_bytes and image_layers (layer/import_limits.h); empty: default
  std::string limit_layer_entries;
  std::string limit_layer_bytes;
  std::string limit_image_layers;
  bool json = false;  // --json
  // config "registry.DOMAIN.mirrors" (source/registry_mirrors.h), in order
  std::vector<RegistryMirror> mirrors;
};

using Action = std::function<Result<void>()>;
using Define = Action (*)(CLI::App& command, const GlobalOptions& global);

struct CommandSpec {
  const char* name;
  const char* help;
  const char* example;  // one command line, shown as "Example: …" in its --help
  Define define;
};

Action define_import(CLI::App&, const GlobalOptions&);
Action define_pull(CLI::App&, const GlobalOptions&);
Action define_push(CLI::App&, const GlobalOptions&);
Action define_tag(CLI::App&, const GlobalOptions&);
Action define_info(CLI::App&, const GlobalOptions&);
Action define_run(CLI::App&, const GlobalOptions&);
Action define_completion(CLI::App&, const GlobalOptions&);
Action define_man(CLI::App&, const GlobalOptions&);
Action define_image(CLI::App&, const GlobalOptions&);
Action define_system(CLI::App&, const GlobalOptions&);
Action define_images(CLI::App&, const GlobalOptions&);
Action define_inspect(CLI::App&, const GlobalOptions&);
Action define_rmi(CLI::App&, const GlobalOptions&);
Action define_mount(CLI::App&, const GlobalOptions&);
Action define_umount(CLI::App&, const GlobalOptions&);
Action define_export(CLI::App&, const GlobalOptions&);
Action define_pyxis_importer(CLI::App&, const GlobalOptions&);
Action define_gc(CLI::App&, const GlobalOptions&);
Action define_fsck(CLI::App&, const GlobalOptions&);
Action define_mkcomposefs(CLI::App&, const GlobalOptions&);
Action define_create(CLI::App&, const GlobalOptions&);
Action define_rm(CLI::App&, const GlobalOptions&);
Action define_ps(CLI::App&, const GlobalOptions&);
Action define_digest(CLI::App&, const GlobalOptions&);
Action define_verify(CLI::App&, const GlobalOptions&);
Action define_sign(CLI::App&, const GlobalOptions&);
Action define_seal(CLI::App&, const GlobalOptions&);
Action define_df(CLI::App&, const GlobalOptions&);

// Opens the store the global options name, with defaults resolved.
Result<std::unique_ptr<Store>> open_store(const GlobalOptions& global, Access access);
// After a command: if it created the store and the store was kept, says so
// on stderr, once, with the backend and why it was chosen.
void report_new_store(const GlobalOptions& global);
// For listings: null when there is no store yet (nothing to list, and a
// listing creates none).
Result<std::unique_ptr<Store>> open_store_to_list(const GlobalOptions& global);

}  // namespace cairn::cli
