// cairn: thin command-line front end over the library. Parses the command
// line, runs one command from the table, and maps errors to exit codes.
#include <cstdio>

#include "cli/command.h"
#include "cli/exit_code.h"
#include "cli/settings.h"

namespace cairn::cli {
namespace {

constexpr CommandSpec k_commands[] = {
    {"import", "Import an image from a source URI", define_import},
    {"images", "List images", define_images},
    {"inspect", "Show an image's metadata and layers as JSON", define_inspect},
    {"rmi", "Remove an image name, or the image", define_rmi},
    {"mount", "Print (and for some backends mount) a container's or an image's root filesystem", define_mount},
    {"umount", "Unmount what `mount` mounted (by container, image or directory)", define_umount},
    {"export", "Write an image's root filesystem as a tar archive or an enroot squashfs", define_export},
    {"pyxis-importer", "pyxis importer: get URI (prints a cached squashfs's path), release", define_pyxis_importer},
    {"df", "Show disk usage per image and in total", define_df},
    {"gc", "Remove data that no image references", define_gc},
    {"mkcomposefs", "Write a composefs image from a dump file", define_mkcomposefs},
    {"create", "Create a writable container from an image (btrfs, zfs, composefs)", define_create},
    {"rm", "Remove a container", define_rm},
    {"ps", "List containers", define_ps},
    {"digest", "Print a composefs image's digest", define_digest},
    {"verify", "Re-hash composefs images and objects; check a signature (--key)", define_verify},
    {"sign", "Sign a composefs image's digest with an Ed25519 key", define_sign},
};

int run(int argc, char** argv) {
  CLI::App app{"cairn: a container image store"};
  app.require_subcommand(1);
  app.fallthrough();
  GlobalOptions global;
  app.add_option("--root", global.root, "Store root directory (CAIRN_ROOT)");
  app.add_option("--backend", global.backend, "Backend: dir, composefs, btrfs, zfs (CAIRN_BACKEND)");
  app.add_option("--mode", global.mode,
                 "composefs: build new images flat, per-layer or hybrid (CAIRN_COMPOSEFS_MODE)");
  app.add_option("--hybrid-min", global.hybrid_min,
                 "composefs hybrid: images that must share a chain prefix for it to get its own "
                 "EROFS image (CAIRN_COMPOSEFS_HYBRID_MIN)");
  app.add_flag("--json", global.json, "Machine-readable output");
  std::vector<std::pair<CLI::App*, Action>> actions;
  for (const CommandSpec& spec : k_commands) {
    CLI::App* sub = app.add_subcommand(spec.name, spec.help);
    actions.emplace_back(sub, spec.define(*sub, global));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : k_exit_usage;
  }
  auto resolved = resolve_settings(global);
  for (auto& [sub, action] : actions) {
    if (!sub->parsed()) continue;
    Result<void> result = resolved ? action() : resolved;
    if (result) return 0;
    std::fprintf(stderr, "cairn: error: %s\n", result.error().message().c_str());
    return exit_code_for(result.error());
  }
  return k_exit_usage;
}

}  // namespace
}  // namespace cairn::cli

int main(int argc, char** argv) { return cairn::cli::run(argc, argv); }
