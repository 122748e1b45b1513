#include "store/import.h"

#include <algorithm>
#include <atomic>
#include <ctime>
#include <thread>

#include "layer/import_limits.h"
#include "layer/ingest.h"
#include "oci/chain_id.h"
#include "store/image_name.h"
#include "store/layer_keeping.h"
#include "store/partial_pull.h"
#include "store/seal.h"
#include "util/progress.h"
#include "util/sys.h"

namespace cairn {
namespace {

std::vector<ChainLink> chain_of(const ImagePlan& plan) {
  std::vector<Digest> diff_ids;
  for (const LayerDescriptor& layer : plan.layers) diff_ids.push_back(layer.diff_id);
  std::vector<Digest> chains = chain_ids(diff_ids);
  std::vector<ChainLink> links;
  for (size_t i = 0; i < chains.size(); ++i) links.push_back({diff_ids[i], chains[i]});
  return links;
}

// TAR_SIZES: of the layers ingested by this import, 0 for the others.
ImageRecord record_of(const ImagePlan& plan, const std::vector<ChainLink>& chain,
                      const std::vector<std::uint64_t>& tar_sizes) {
  ImageRecord image{.id = plan.config_digest,
                    .manifest_digest = plan.manifest_digest,
                    .source = plan.source,
                    .config = plan.config,
                    .top_chain = chain.back().chain_id,
                    .created = static_cast<std::int64_t>(std::time(nullptr)),
                    .names = {},
                    .layers = {}};
  for (size_t i = 0; i < plan.layers.size(); ++i) {
    const LayerDescriptor& layer = plan.layers[i];
    image.layers.push_back(LayerRecord{layer.diff_id, chain[i].chain_id, layer.blob_digest,
                                       layer.media_type, layer.size, tar_sizes[i]});
  }
  return image;
}

// The layer with its blob reader wrapped to report bytes to the observer.
LayerDescriptor with_progress(const LayerDescriptor& layer, size_t index,
                              const ImportObserver& observer) {
  if (!observer.layer_progress) return layer;
  LayerDescriptor watched = layer;
  watched.open = [&layer, index, &observer]() -> Result<std::unique_ptr<Reader>> {
    ASSIGN_OR_RETURN(std::unique_ptr<Reader> blob, layer.open());
    auto report = [index, &observer, total = layer.size](std::uint64_t done) {
      observer.layer_progress(index, done, total);
    };
    return std::make_unique<ProgressReader>(std::move(blob), std::move(report));
  };
  return watched;
}

// Takes the entries of a layer read only for its record or blob.
class DiscardingSink final : public LayerSink {
 public:
  Result<void> add(const TarEntry&, EntryData&) override { return {}; }
  Result<void> finish() override { return {}; }
};

std::string layer_context(size_t index, size_t count) {
  return "layer " + std::to_string(index + 1) + "/" + std::to_string(count);
}

// What the store still lacks of LAYER besides the backend's data.
Result<KeepWhat> missing_keeping(Store& store, const LayerDescriptor& layer, bool keep_blobs) {
  ASSIGN_OR_RETURN(bool recorded, sys::exists(tar_split_path(store.root(), layer.diff_id)));
  KeepWhat what{.record = !recorded, .blob = false};
  if (keep_blobs) {
    ASSIGN_OR_RETURN(bool kept, sys::exists(kept_blob_path(store.root(), layer.blob_digest)));
    what.blob = !kept;
  }
  return what;
}

// Ingests layer INDEX into SINK (the build's, or a discarding one), keeping
// what WHAT asks for in the returned staging.
Result<std::unique_ptr<LayerKeeping>> ingest_kept(Store& store, const ImagePlan& plan, size_t index,
                                                  LayerSink& sink, KeepWhat what,
                                                  const ImportObserver& observer,
                                                  IngestStats& stats, PartialPulls& pulls) {
  const LayerDescriptor& layer = plan.layers[index];
  ASSIGN_OR_RETURN(auto keeping, LayerKeeping::start(store.root(), what));
  auto rebuilt = pulls.rebuilt(layer, index, what.blob, observer);
  if (!rebuilt) {
    return fail(std::move(rebuilt).error().wrap(layer_context(index, plan.layers.size())));
  }
  LimitedSink limited(sink, store.limits());
  auto ingested = ingest_layer(*rebuilt ? **rebuilt : with_progress(layer, index, observer),
                               limited, keeping->taps());
  if (!ingested) {
    return fail(std::move(ingested).error().wrap(layer_context(index, plan.layers.size())));
  }
  stats = *ingested;
  pulls.ingested(index, layer, stats);
  TRY(keeping->seal());
  return keeping;
}

// One layer read from the source: into the build's sink (ingested) or, for
// a layer the backend has whose record or blob the store lacks, into none.
struct LayerJob {
  size_t index = 0;
  bool ingested = false;
  LayerSink* sink = nullptr;
  KeepWhat what;
  std::unique_ptr<DiscardingSink> discard;
  IngestStats stats;
  Result<std::unique_ptr<LayerKeeping>> keeping = nullptr;
};

// Layers ingested at once on a build with independent layers: two layers of
// two threads each (layer/ingest.h) keep two cores busy, more only wait.
constexpr size_t k_parallel_layers = 2;

// Runs JOBS, at most PARALLEL at a time; the outcome of each is in its
// keeping. Partial pulls keep per-layer state between their calls, so they
// come one at a time.
void run_jobs(Store& store, const ImagePlan& plan, std::vector<LayerJob>& jobs, size_t parallel,
              const ImportObserver& observer, PartialPulls& pulls) {
  auto run = [&](LayerJob& job) {
    if (job.ingested && observer.layer_started) {
      observer.layer_started(job.index, plan.layers.size(), plan.layers[job.index].diff_id);
    }
    job.keeping =
        ingest_kept(store, plan, job.index, *job.sink, job.what, observer, job.stats, pulls);
  };
  if (parallel <= 1 || jobs.size() <= 1) {
    for (LayerJob& job : jobs) run(job);
    return;
  }
  std::atomic<size_t> next = 0;
  std::vector<std::jthread> workers;
  for (size_t w = 0; w < std::min(parallel, jobs.size()); ++w) {
    workers.emplace_back([&] {
      for (size_t i = next++; i < jobs.size(); i = next++) run(jobs[i]);
    });
  }
}

// After run_jobs, in layer order: commits what was ingested; the first
// failure, in layer order, is the import's.
Result<void> commit_jobs(ChainBuild& build, std::vector<LayerJob>& jobs,
                         const ImportObserver& observer,
                         std::vector<std::pair<size_t, std::unique_ptr<LayerKeeping>>>& kept,
                         std::vector<std::uint64_t>& tar_sizes, ImportResult& result) {
  for (LayerJob& job : jobs) {
    if (!job.keeping) return fail(std::move(job.keeping).error());
    kept.emplace_back(job.index, std::move(*job.keeping));
    if (!job.ingested) continue;
    TRY(build.commit_layer(job.index));
    tar_sizes[job.index] = job.stats.tar_bytes;
    if (observer.layer_done) observer.layer_done(job.index, job.stats.tar_bytes);
    ++result.layers_ingested;
  }
  jobs.clear();
  return {};
}

bool has_partial_layers(const ImagePlan& plan, const ImportOptions& options) {
  return options.partial && std::any_of(plan.layers.begin(), plan.layers.end(),
                                        [](const LayerDescriptor& l) { return bool(l.open_tar); });
}

}  // namespace

Result<bool> keeps_blobs(Store& store, const ImportOptions& options) {
  if (options.keep_blobs) return true;
  ASSIGN_OR_RETURN(auto setting, store.metadata().setting(std::string(k_keep_blobs_setting)));
  return setting && *setting == "true";
}

Result<ImportResult> import_image(Store& store, const ImagePlan& plan, const ImportOptions& options,
                                  const ImportObserver& observer) {
  if (plan.layers.empty()) return fail(Errc::unsupported, plan.source + ": image has no layers");
  if (auto bounded = check_image_layers(plan.layers.size(), store.limits()); !bounded) {
    return fail(std::move(bounded).error().wrap(plan.source));
  }
  ImportResult result{.image_id = plan.config_digest,
                      .name = options.name,
                      .layers_ingested = 0,
                      .layers_reused = 0};
  if (!result.name && !plan.default_name.empty()) result.name = plan.default_name;
  if (result.name) TRY(check_image_name(*result.name));  // before any layer is ingested
  std::vector<ChainLink> chain = chain_of(plan);
  ASSIGN_OR_RETURN(bool keep_blobs, keeps_blobs(store, options));
  ASSIGN_OR_RETURN(auto build, store.backend().begin_build(chain));
  std::vector<std::pair<size_t, std::unique_ptr<LayerKeeping>>> kept;
  PartialPulls pulls(store, options.partial);
  // Independent layers are all begun, then ingested together; chained ones
  // one after the other, each committed before the next is begun.
  bool together = build->independent_layers() && !has_partial_layers(plan, options);
  size_t parallel = together ? k_parallel_layers : 1;
  std::vector<LayerJob> jobs;
  std::vector<std::uint64_t> tar_sizes(plan.layers.size(), 0);
  for (size_t i = 0; i < plan.layers.size(); ++i) {
    LayerJob job;
    job.index = i;
    job.ingested = build->needs_layer(i);
    ASSIGN_OR_RETURN(job.what, missing_keeping(store, plan.layers[i], keep_blobs));
    if (job.ingested) {
      ASSIGN_OR_RETURN(job.sink, build->begin_layer(i));
    } else {
      ++result.layers_reused;
      if (!job.what.record && !job.what.blob) continue;
      job.discard = std::make_unique<DiscardingSink>();
      job.sink = job.discard.get();
    }
    jobs.push_back(std::move(job));
    if (together) continue;
    run_jobs(store, plan, jobs, parallel, observer, pulls);
    TRY(commit_jobs(*build, jobs, observer, kept, tar_sizes, result));
  }
  run_jobs(store, plan, jobs, parallel, observer, pulls);
  TRY(commit_jobs(*build, jobs, observer, kept, tar_sizes, result));
  auto published = [&]() -> Result<void> {
    TRY(build->finish());
    // a sealed image is checked once published, before the metadata names it
    TRY(check_seal(store.backend(), plan.config, chain.back().chain_id));
    for (auto& [i, keeping] : kept) {
      TRY(keeping->publish(plan.layers[i].diff_id, plan.layers[i].blob_digest));
    }
    return store.metadata().put_image(record_of(plan, chain, tar_sizes), result.name,
                                      plan.manifest);
  }();
  if (!published) return std::unexpected(store.undo_import(published.error()));
  result.transfers = pulls.take_transfers();
  return result;
}

}  // namespace cairn
