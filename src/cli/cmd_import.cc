#include <unistd.h>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "source/source.h"
#include "store/import.h"

namespace cairn::cli {
namespace {

struct ImportArgs {
  std::string source;
  std::string name;
  std::string platform;
};

ImportObserver terminal_progress() {
  if (!::isatty(STDERR_FILENO)) return {};
  ImportObserver observer;
  observer.layer_started = [](size_t index, size_t count, const Digest& diff_id) {
    std::fprintf(stderr, "\r\033[Klayer %zu/%zu %s ...", index + 1, count,
                 std::string(diff_id.short_hex()).c_str());
  };
  observer.layer_done = [](size_t, std::uint64_t bytes) {
    std::fprintf(stderr, " %.1f MB\n", static_cast<double>(bytes) / 1e6);
  };
  return observer;
}

Result<void> run_import(const ImportArgs& args, const GlobalOptions& global) {
  SourceOptions source_options;
  if (!args.platform.empty()) source_options.platform = args.platform;
  ASSIGN_OR_RETURN(ImagePlan plan, plan_image(args.source, source_options));
  ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_write));
  ImportOptions options;
  if (!args.name.empty()) options.name = args.name;
  ASSIGN_OR_RETURN(ImportResult result,
                   import_image(*store, plan, options, terminal_progress()));
  if (global.json) {
    nlohmann::json out = {{"id", result.image_id.str()},
                          {"layers_ingested", result.layers_ingested},
                          {"layers_reused", result.layers_reused}};
    out["name"] = result.name ? nlohmann::json(*result.name) : nullptr;
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("%s\n", result.image_id.str().c_str());
  }
  return {};
}

}  // namespace

Action define_import(CLI::App& command, const GlobalOptions& global) {
  auto args = std::make_shared<ImportArgs>();
  command.add_option("source", args->source,
                     "oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:REPO:TAG]")
      ->required();
  command.add_option("--name", args->name, "Name for the image (default: the source's tag)");
  command.add_option("--platform", args->platform, "os/arch[/variant] to pick from an index");
  return [args, &global] { return run_import(*args, global); };
}

}  // namespace cairn::cli
