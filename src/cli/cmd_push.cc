// cairn push IMAGE docker://HOST[:PORT]/REPO[:TAG] (store/push_image.h).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/import_progress.h"
#include "cli/interrupt_notice.h"
#include "cli/registry_flags.h"
#include "store/push_image.h"

namespace cairn::cli {
namespace {

struct PushArgs {
  std::string image;
  std::string destination;
  RegistryFlags registry;
  std::string compression = "gzip";
  std::uint64_t chunk_size = k_default_push_chunk_size;
};

// Sets options.compression and options.chunked.
Result<void> compression_of(const std::string& name, PushOptions& options) {
  options.chunked = name == "zstd:chunked";
  if (name == "gzip") {
    options.compression = Compression::gzip;
  } else if (name == "zstd" || options.chunked) {
    options.compression = Compression::zstd;
  } else {
    return fail(Errc::usage, "--compression " + name + ": expected gzip, zstd or zstd:chunked");
  }
  return {};
}

Result<RegistryReference> destination_of(const std::string& uri) {
  if (!uri.starts_with("docker://")) {
    return fail(Errc::usage,
                "push destination " + uri + ": expected docker://HOST[:PORT]/REPO[:TAG]");
  }
  return parse_registry_reference(uri);
}

std::string summary(const PushResult& result) {
  return "pushed " + result.destination + ": " + std::to_string(result.blobs_uploaded) +
         " blobs uploaded, " + std::to_string(result.blobs_present) + " already there, " +
         std::to_string(result.blobs_mounted) + " mounted" +
         (result.resumes ? ", " + std::to_string(result.resumes) + " uploads resumed" : "") +
         (result.manifest_as_imported ? "; manifest as imported" : "; new manifest");
}

Result<void> run_push(const PushArgs& args, const GlobalOptions& global) {
  PushOptions options{.registry = registry_options_of(args.registry),
                      .chunk_size = args.chunk_size};
  TRY(compression_of(args.compression, options));
  ASSIGN_OR_RETURN(RegistryReference destination, destination_of(args.destination));
  if (args.chunk_size == 0) return fail(Errc::usage, "--chunk-size must be at least 1");
  ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_only));
  ASSIGN_OR_RETURN(ImageRecord image, store->metadata().resolve_image(args.image));
  announce_interrupts("cairn: push to " + destination.str() +
                      " interrupted: no manifest was pushed; blobs already uploaded are skipped "
                      "by the next push");
  std::optional<ImportProgress> progress = ImportProgress::for_stderr();
  ImportObserver observer = progress ? progress->observer() : ImportObserver{};
  ASSIGN_OR_RETURN(PushResult result, push_image(*store, image, destination, options, observer));
  if (progress) progress->note(summary(result));
  if (global.json) {
    nlohmann::json out = {{"manifest_digest", result.manifest_digest.str()},
                          {"destination", result.destination},
                          {"image", image.id.str()},
                          {"manifest_as_imported", result.manifest_as_imported},
                          {"blobs_uploaded", result.blobs_uploaded},
                          {"blobs_present", result.blobs_present},
                          {"blobs_mounted", result.blobs_mounted},
                          {"resumes", result.resumes}};
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("%s\n", result.manifest_digest.str().c_str());
  }
  return {};
}

}  // namespace

Action define_push(CLI::App& command, const GlobalOptions& global) {
  auto args = std::make_shared<PushArgs>();
  command.add_option("image", args->image, "Image name or id")->required();
  command.add_option("destination", args->destination, "docker://HOST[:PORT]/REPO[:TAG]")
      ->required();
  add_registry_flags(command, args->registry, TransferDirection::upload);
  command
      .add_option("--compression", args->compression,
                  "Compression of layers whose original blob the store did not keep: gzip, "
                  "zstd or zstd:chunked (partial pulls can then fetch only the files a store "
                  "lacks)")
      ->capture_default_str();
  command
      .add_option("--chunk-size", args->chunk_size,
                  "Blobs above this many bytes are uploaded in chunks of this size, each "
                  "resumable")
      ->capture_default_str();
  return [args, &global] { return run_push(*args, global); };
}

}  // namespace cairn::cli
