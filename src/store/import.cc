#include "store/import.h"

#include <ctime>

#include "layer/ingest.h"
#include "oci/chain_id.h"
#include "store/image_name.h"
#include "store/seal.h"
#include "util/progress.h"

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

Result<void> ingest_into(Store& store, ChainBuild& build, const ImagePlan& plan, size_t index,
                         const ImportObserver& observer) {
  const LayerDescriptor& layer = plan.layers[index];
  if (observer.layer_started) observer.layer_started(index, plan.layers.size(), layer.diff_id);
  ASSIGN_OR_RETURN(LayerSink * sink, build.begin_layer(index));
  auto stats = ingest_layer(with_progress(layer, index, observer), *sink);
  if (!stats) {
    return fail(std::move(stats).error().wrap("layer " + std::to_string(index + 1) + "/" +
                                              std::to_string(plan.layers.size())));
  }
  TRY(build.commit_layer(index));
  TRY(store.metadata().record_layer(layer.diff_id, stats->tar_bytes));
  if (observer.layer_done) observer.layer_done(index, stats->tar_bytes);
  return {};
}

}  // namespace

Result<ImportResult> import_image(Store& store, const ImagePlan& plan, const ImportOptions& options,
                                  const ImportObserver& observer) {
  if (plan.layers.empty()) return fail(Errc::unsupported, plan.source + ": image has no layers");
  ImportResult result{.image_id = plan.config_digest, .name = options.name,
                      .layers_ingested = 0, .layers_reused = 0};
  if (!result.name && !plan.default_name.empty()) result.name = plan.default_name;
  if (result.name) TRY(check_image_name(*result.name));  // before any layer is ingested
  std::vector<ChainLink> chain = chain_of(plan);
  ASSIGN_OR_RETURN(auto build, store.backend().begin_build(chain));
  for (size_t i = 0; i < plan.layers.size(); ++i) {
    if (!build->needs_layer(i)) {
      ++result.layers_reused;
      continue;
    }
    TRY(ingest_into(store, *build, plan, i, observer));
    ++result.layers_ingested;
  }
  TRY(build->finish());
  TRY(refuse_broken_seal(store, plan.config, chain.back().chain_id));
  TRY(store.metadata().put_image(record_of(plan, chain), result.name));
  return result;
}

}  // namespace cairn
