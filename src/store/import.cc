#include "store/import.h"

#include <ctime>

#include "layer/ingest.h"
#include "oci/chain_id.h"
#include "store/image_name.h"
#include "store/seal.h"
#include "store/layer_keeping.h"
#include "store/partial_pull.h"
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

ImageRecord record_of(const ImagePlan& plan, const std::vector<ChainLink>& chain) {
  ImageRecord image{.id = plan.config_digest, .manifest_digest = plan.manifest_digest,
                    .source = plan.source, .config = plan.config,
                    .top_chain = chain.back().chain_id,
                    .created = static_cast<std::int64_t>(std::time(nullptr)), .names = {},
                    .layers = {}};
  for (size_t i = 0; i < plan.layers.size(); ++i) {
    const LayerDescriptor& layer = plan.layers[i];
    image.layers.push_back(LayerRecord{layer.diff_id, chain[i].chain_id, layer.blob_digest,
                                       layer.media_type, layer.size, 0});
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
Result<std::unique_ptr<LayerKeeping>> ingest_kept(Store& store, const ImagePlan& plan,
                                                  size_t index, LayerSink& sink, KeepWhat what,
                                                  const ImportObserver& observer,
                                                  IngestStats& stats, PartialPulls& pulls) {
  const LayerDescriptor& layer = plan.layers[index];
  ASSIGN_OR_RETURN(auto keeping, LayerKeeping::start(store.root(), what));
  auto rebuilt = pulls.rebuilt(layer, index, what.blob, observer);
  if (!rebuilt) {
    return fail(std::move(rebuilt).error().wrap(layer_context(index, plan.layers.size())));
  }
  auto ingested = ingest_layer(*rebuilt ? **rebuilt : with_progress(layer, index, observer), sink,
                               keeping->taps());
  if (!ingested) {
    return fail(std::move(ingested).error().wrap(layer_context(index, plan.layers.size())));
  }
  stats = *ingested;
  pulls.ingested(index, layer, stats);
  TRY(keeping->seal());
  return keeping;
}

Result<std::unique_ptr<LayerKeeping>> ingest_into(Store& store, ChainBuild& build,
                                                  const ImagePlan& plan, size_t index,
                                                  KeepWhat what, const ImportObserver& observer,
                                                  PartialPulls& pulls) {
  const LayerDescriptor& layer = plan.layers[index];
  if (observer.layer_started) observer.layer_started(index, plan.layers.size(), layer.diff_id);
  ASSIGN_OR_RETURN(LayerSink * sink, build.begin_layer(index));
  IngestStats stats;
  ASSIGN_OR_RETURN(auto keeping,
                   ingest_kept(store, plan, index, *sink, what, observer, stats, pulls));
  TRY(build.commit_layer(index));
  TRY(store.metadata().record_layer(layer.diff_id, stats.tar_bytes));
  if (observer.layer_done) observer.layer_done(index, stats.tar_bytes);
  return keeping;
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
  ImportResult result{.image_id = plan.config_digest, .name = options.name,
                      .layers_ingested = 0, .layers_reused = 0};
  if (!result.name && !plan.default_name.empty()) result.name = plan.default_name;
  if (result.name) TRY(check_image_name(*result.name));  // before any layer is ingested
  std::vector<ChainLink> chain = chain_of(plan);
  ASSIGN_OR_RETURN(bool keep_blobs, keeps_blobs(store, options));
  ASSIGN_OR_RETURN(auto build, store.backend().begin_build(chain));
  std::vector<std::pair<size_t, std::unique_ptr<LayerKeeping>>> kept;
  PartialPulls pulls(store, options.partial);
  for (size_t i = 0; i < plan.layers.size(); ++i) {
    ASSIGN_OR_RETURN(KeepWhat what, missing_keeping(store, plan.layers[i], keep_blobs));
    if (build->needs_layer(i)) {
      ASSIGN_OR_RETURN(auto keeping, ingest_into(store, *build, plan, i, what, observer, pulls));
      kept.emplace_back(i, std::move(keeping));
      ++result.layers_ingested;
      continue;
    }
    ++result.layers_reused;
    if (!what.record && !what.blob) continue;
    DiscardingSink discard;
    IngestStats stats;
    ASSIGN_OR_RETURN(auto keeping, ingest_kept(store, plan, i, discard, what, observer, stats,
                                                 pulls));
    kept.emplace_back(i, std::move(keeping));
  }
  auto published = [&]() -> Result<void> {
    TRY(build->finish());
    // a sealed image is checked once published, before the metadata names it
    TRY(check_seal(store.backend(), plan.config, chain.back().chain_id));
    for (auto& [i, keeping] : kept) {
      TRY(keeping->publish(plan.layers[i].diff_id, plan.layers[i].blob_digest));
    }
    return store.metadata().put_image(record_of(plan, chain), result.name, plan.manifest);
  }();
  if (!published) return std::unexpected(store.undo_import(published.error()));
  result.transfers = pulls.take_transfers();
  return result;
}

}  // namespace cairn
