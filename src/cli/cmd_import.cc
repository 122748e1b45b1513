#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/import_progress.h"
#include "cli/interrupt_notice.h"
#include "cli/registry_flags.h"
#include "source/daemon_source.h"
#include "source/docker_layer_store.h"
#include "source/source.h"
#include "store/image_name.h"
#include "store/import.h"
#include "store/stream_import.h"

namespace cairn::cli {
namespace {

struct ImportArgs {
  std::string source;
  std::string name;
  std::string platform;
  RegistryFlags registry;
  DaemonOptions daemon;
  bool docker_save = false;
  std::vector<std::string> mirrors;  // --registry-mirror REGISTRY=ENDPOINT
  bool keep_blobs = false;
  bool no_partial = false;
};

constexpr std::string_view k_dockerd_scheme = "dockerd://";

DockerEnvironment docker_environment() {
  auto env = [](const char* name) {
    const char* value = std::getenv(name);
    return std::string(value ? value : "");
  };
  DockerEnvironment docker{env("DOCKER_HOST"), env("DOCKER_CONTEXT"), env("DOCKER_CONFIG")};
  if (docker.config_dir.empty() && !env("HOME").empty()) {
    docker.config_dir = env("HOME") + "/.docker";
  }
  return docker;
}

// dockerd:// from the daemon's layer store (source/docker_layer_store.h);
// nullopt when it has to go through `docker save`.
Result<std::optional<ImagePlan>> plan_from_docker_store(const ImportArgs& args,
                                                        ImportProgress* progress) {
  if (args.docker_save || !args.source.starts_with(k_dockerd_scheme)) return std::nullopt;
  std::string image = args.source.substr(k_dockerd_scheme.size());
  if (image.empty() || image.starts_with('-')) return std::nullopt;  // daemon_save_command says why
  ASSIGN_OR_RETURN(LayerStorePlan direct, plan_docker_layer_store(image, docker_environment()));
  if (!direct.plan && progress) progress->note("reading through docker save: " + direct.why_not);
  return std::move(direct.plan);
}

// --registry-mirror first; the config's mirrors for registries the command line names none for.
Result<std::vector<RegistryMirror>> mirrors_of(const ImportArgs& args,
                                               const GlobalOptions& global) {
  std::vector<RegistryMirror> mirrors;
  for (const std::string& text : args.mirrors) {
    ASSIGN_OR_RETURN(RegistryMirror mirror, parse_registry_mirror(text));
    mirrors.push_back(std::move(mirror));
  }
  for (const RegistryMirror& mirror : global.mirrors) {
    bool overridden =
        std::any_of(mirrors.begin(), mirrors.begin() + args.mirrors.size(),
                    [&](const RegistryMirror& m) { return m.registry == mirror.registry; });
    if (!overridden) mirrors.push_back(mirror);
  }
  return mirrors;
}

Result<SourceOptions> source_options_of(const ImportArgs& args, const GlobalOptions& global) {
  SourceOptions options;
  if (!args.platform.empty()) options.platform = args.platform;
  options.registry = registry_options_of(args.registry);
  ASSIGN_OR_RETURN(options.registry.mirrors, mirrors_of(args, global));
  return options;
}

// dockerd:// reads the layer store when it can, daemon sources stream otherwise
// (store/stream_import.h); the others are planned first.
Result<ImportResult> import_source(const ImportArgs& args, const GlobalOptions& global,
                                   ImportProgress* progress) {
  ImportObserver observer = progress ? progress->observer() : ImportObserver{};
  ImportOptions options;
  if (!args.name.empty()) options.name = args.name;
  options.keep_blobs = args.keep_blobs;
  options.partial = !args.no_partial;
  if (is_daemon_uri(args.source)) {
    ASSIGN_OR_RETURN(std::optional<ImagePlan> direct, plan_from_docker_store(args, progress));
    if (direct) {
      ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_write));
      return import_image(*store, *direct, options, observer);
    }
    ASSIGN_OR_RETURN(StreamSource source, daemon_stream_source(args.source, args.daemon));
    ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_write));
    return import_stream(*store, source, options, observer);
  }
  ASSIGN_OR_RETURN(SourceOptions source_options, source_options_of(args, global));
  ASSIGN_OR_RETURN(ImagePlan plan, plan_image(args.source, source_options));
  if (!plan.served_by.empty()) {
    std::fprintf(stderr, "cairn: %s is pulled from the mirror %s\n", plan.source.c_str(),
                 plan.served_by.c_str());
  }
  ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_write));
  return import_image(*store, plan, options, observer);
}

// One object per ingested layer: what it cost (bytes_fetched of size).
nlohmann::json transfers_json(const std::vector<LayerTransfer>& transfers) {
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerTransfer& t : transfers) {
    nlohmann::json layer = {{"index", t.index},
                            {"diff_id", t.diff_id.str()},
                            {"bytes_fetched", t.bytes_fetched},
                            {"partial", t.partial}};
    layer["size"] = t.size ? nlohmann::json(*t.size) : nullptr;
    if (t.partial) {
      layer["files_local"] = t.files_local;
      layer["files_fetched"] = t.files_fetched;
    }
    layers.push_back(std::move(layer));
  }
  return layers;
}

Result<void> run_import(const ImportArgs& args, const GlobalOptions& global) {
  if (!args.name.empty()) TRY(check_image_name(args.name));
  announce_interrupts("cairn: import of " + args.source +
                      " interrupted: no image was added; what it left is reused by the next "
                      "import or removed by gc");
  std::optional<ImportProgress> progress = ImportProgress::for_stderr();
  ASSIGN_OR_RETURN(ImportResult result,
                   import_source(args, global, progress ? &*progress : nullptr));
  if (progress) progress->summary(result);
  if (global.json) {
    nlohmann::json out = {{"id", result.image_id.str()},
                          {"layers_ingested", result.layers_ingested},
                          {"layers_reused", result.layers_reused}};
    out["name"] = result.name ? nlohmann::json(*result.name) : nullptr;
    out["layers"] = transfers_json(result.transfers);
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("%s\n", result.image_id.str().c_str());
  }
  return {};
}

// `pull REF` is `import docker://REF`; a REF with another scheme is refused.
Result<void> run_pull(ImportArgs args, const GlobalOptions& global) {
  std::string_view source = args.source;
  bool file_source = source.starts_with("oci:") || source.starts_with("oci-archive:") ||
                     source.starts_with("docker-archive:");
  size_t scheme = source.find("://");
  if (file_source || (scheme != std::string::npos && source.substr(0, scheme) != "docker")) {
    return fail(Errc::usage, "pull takes a registry reference (docker://…), not " + args.source +
                                 "; use import for other sources");
  }
  if (scheme == std::string::npos) args.source = "docker://" + args.source;
  return run_import(args, global);
}

// The options import and pull share.
void add_import_options(CLI::App& command, ImportArgs& args) {
  add_registry_flags(command, args.registry, TransferDirection::download);
  command
      .add_option("--registry-mirror", args.mirrors,
                  "REGISTRY=HOST[:PORT][/PREFIX]: try this mirror of REGISTRY first (repeatable, "
                  "in order; replaces the config's mirrors of REGISTRY)")
      ->allow_extra_args(false);
  command.add_flag("--docker-save", args.docker_save,
                   "dockerd://: read the image through `docker save`, not from the daemon's "
                   "layer store");
  command.add_option("--podman-root", args.daemon.podman_root,
                     "podman://: storage root (podman --root)");
  command.add_option("--podman-runroot", args.daemon.podman_runroot,
                     "podman://: state directory (podman --runroot)");
  command.add_option("--name", args.name, "Name for the image (default: the source's tag)");
  command.add_flag("--keep-blobs", args.keep_blobs,
                   "Keep each layer's original blob, so that push and export give it back "
                   "unchanged (default: the store's keep_blobs setting; on for dir stores)");
  command.add_flag("--no-partial", args.no_partial,
                   "Download every layer whole, also zstd:chunked and eStargz layers whose files "
                   "the store partly holds");
  command.add_option("--platform", args.platform, "os/arch[/variant] to pick from an index")
      ->default_str("the host's");
}

}  // namespace

Action define_import(CLI::App& command, const GlobalOptions& global) {
  auto args = std::make_shared<ImportArgs>();
  command
      .add_option("source", args->source,
                  "docker://[HOST/]REPO[:TAG|@DIGEST], oci:DIR[:TAG], oci-archive:FILE[:TAG], "
                  "docker-archive:FILE[:REPO:TAG], dockerd://IMAGE, podman://IMAGE")
      ->required();
  add_import_options(command, *args);
  return [args, &global] { return run_import(*args, global); };
}

Action define_pull(CLI::App& command, const GlobalOptions& global) {
  auto args = std::make_shared<ImportArgs>();
  command.add_option("reference", args->source, "[docker://][HOST/]REPO[:TAG|@DIGEST]")->required();
  add_import_options(command, *args);
  return [args, &global] { return run_pull(*args, global); };
}

}  // namespace cairn::cli
