// cairn: thin command-line front end over the library. Parses the command
// line, runs one command from the table, and maps errors to exit codes.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/cli_reference.h"
#include "cli/command.h"
#include "cli/command_suggestion.h"
#include "cli/exit_code.h"
#include "cli/settings.h"

namespace cairn::cli {
namespace {

constexpr CommandSpec k_commands[] = {
    {"import", "Import an image from a source URI",
     "cairn import docker://docker.io/library/debian:bookworm", define_import},
    {"pull", "Import an image from a registry (import docker://REF)",
     "cairn pull --insecure 127.0.0.1:5000/library/debian:bookworm", define_pull},
    {"push", "Push an image to a registry",
     "cairn push --insecure debian:bookworm docker://127.0.0.1:5000/library/debian:bookworm",
     define_push},
    {"tag", "Give an image another name", "cairn tag debian:bookworm base", define_tag},
    {"images", "List images", "cairn images --filter 'reference=library/*' -q", define_images},
    {"inspect", "Show an image's metadata and layers as JSON", "cairn inspect debian:bookworm",
     define_inspect},
    {"rmi", "Remove an image name, or the image", "cairn rmi -f debian:bookworm 3f2a9c1b",
     define_rmi},
    {"mount", "Print (and for some backends mount) a container's or an image's root filesystem",
     "ls \"$(cairn mount debian:bookworm)\"", define_mount},
    {"umount", "Unmount what `mount` mounted (by container, image or directory)",
     "cairn umount debian:bookworm", define_umount},
    {"export", "Write an image's root filesystem as a tar archive or an enroot squashfs",
     "cairn export debian:bookworm --format squashfs -o debian.sqsh", define_export},
    {"pyxis-importer", "pyxis importer: get URI (prints a cached squashfs's path), release",
     "cairn pyxis-importer get docker://debian:bookworm", define_pyxis_importer},
    {"df", "Show disk usage per image and in total", "cairn df -h", define_df},
    {"info", "Show the version, the store, its backend and why, and kernel features",
     "cairn --root /var/lib/cairn info", define_info},
    {"image", "Image housekeeping: image prune [-a] [--dry-run]", "cairn image prune --dry-run",
     define_image},
    {"system", "Store housekeeping: system prune [--dry-run]", "cairn system prune", define_system},
    {"gc", "Remove data that no image references", "cairn gc", define_gc},
    {"fsck", "Check that every image is whole; --repair removes what interrupted commands left",
     "cairn fsck --repair", define_fsck},
    {"mkcomposefs", "Write a composefs image from a dump file",
     "cairn mkcomposefs --from-dump tree.dump --print-digest tree.cfs", define_mkcomposefs},
    {"completion", "Print a bash or zsh completion script", "source <(cairn completion bash)",
     define_completion},
    {"man", "Write the man pages (cairn.1, cairn-COMMAND.1) into a directory",
     "cairn man /usr/local/share/man/man1", define_man},
    {"create", "Create a writable container from an image (btrfs, zfs, composefs)",
     "cairn create debian:bookworm box1", define_create},
    {"rm", "Remove a container", "cairn rm box1", define_rm},
    {"ps", "List containers", "cairn ps", define_ps},
    {"run", "Run a command in a new container of an image, with crun",
     "cairn run --rm -e GREETING=hi debian:bookworm -- sh -c 'echo $GREETING'", define_run},
    {"digest", "Print a composefs image's digest", "cairn digest debian:bookworm", define_digest},
    {"verify", "Re-hash composefs images and objects; check a signature (--key)",
     "cairn verify debian:bookworm --key pub.pem", define_verify},
    {"sign", "Sign a composefs image's digest with an Ed25519 key",
     "cairn sign debian:bookworm --key key.pem", define_sign},
    {"seal", "Add the image with its composefs digest sealed in its config",
     "cairn seal app:1 --name app:1-sealed", define_seal},
};

// Names the unknown command (and the closest known one) before CLI11 would
// say only that an argument was not expected.
Result<void> check_command_word(const CLI::App& app, int argc, char** argv) {
  std::vector<CommandDoc> docs = describe(app);
  std::string word = command_word(argc, argv, valued_options(docs.front()));
  std::vector<std::string> known;
  for (size_t i = 1; i < docs.size(); ++i) known.push_back(docs[i].name);
  if (word.empty() || std::find(known.begin(), known.end(), word) != known.end()) return {};
  std::string message = "unknown command " + word;
  if (auto close = closest_command(word, known)) message += "; did you mean " + *close + "?";
  return fail(Errc::usage, message + " (cairn --help lists the commands)");
}

int report(const Error& error) {
  std::fprintf(stderr, "cairn: error: %s\n", error.message().c_str());
  if (::geteuid() != 0 && (error.is_errno(EPERM) || error.is_errno(EACCES))) {
    std::fprintf(stderr,
                 "cairn: this needs root: storing images sets owners and device nodes, "
                 "and composefs, btrfs and zfs stores mount; run cairn as root\n");
  }
  return exit_code_for(error);
}

int run(int argc, char** argv) {
  CLI::App app{"cairn: a container image store"};
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", std::string("cairn ") + CAIRN_VERSION);
  app.footer(
      "Exit codes: 0 ok, 1 failure, 2 usage or access denied, 3 not found, "
      "4 bad input, 5 busy (in use), 6 not supported (doc/cli.md)");
  GlobalOptions global;
  app.add_option("--root", global.root, "Store root directory (CAIRN_ROOT)")
      ->default_str("/var/lib/cairn as root, else ~/.local/share/cairn");
  app.add_option("--backend", global.backend,
                 "Backend of a new store: composefs, btrfs, zfs, dir (CAIRN_BACKEND)")
      ->default_str(
          "composefs where the kernel has it, else btrfs/zfs by the root's "
          "filesystem, else dir");
  app.add_option("--mode", global.mode,
                 "composefs: build new images flat, per-layer or hybrid (CAIRN_COMPOSEFS_MODE)")
      ->default_str("flat");
  app.add_option("--hybrid-min", global.hybrid_min,
                 "composefs hybrid: images that must share a chain prefix for it to get its own "
                 "EROFS image (CAIRN_COMPOSEFS_HYBRID_MIN)")
      ->default_str("2");
  app.add_flag("--json", global.json, "Machine-readable output");
  std::vector<std::pair<CLI::App*, Action>> actions;
  for (const CommandSpec& spec : k_commands) {
    CLI::App* sub = app.add_subcommand(spec.name, spec.help);
    sub->footer(std::string("Example: ") + spec.example);
    actions.emplace_back(sub, spec.define(*sub, global));
  }
  if (auto known = check_command_word(app, argc, argv); !known) return report(known.error());
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report(Error(make_error_code(Errc::usage), e.what()));
  }
  auto resolved = resolve_settings(global);
  for (auto& [sub, action] : actions) {
    if (!sub->parsed()) continue;
    Result<void> result = resolved ? action() : resolved;
    if (!result) return report(result.error());
    report_new_store(global);
    return 0;
  }
  return k_exit_usage;
}

}  // namespace
}  // namespace cairn::cli

int main(int argc, char** argv) {
  return cairn::cli::run(argc, argv);
}
