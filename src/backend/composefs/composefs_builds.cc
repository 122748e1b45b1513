// The two ways layers reach the composefs backend (backend.h): a ChainBuild
// for sources that know the image before its layers, a StreamBuild for save
// streams whose layers come first. Layers are independent here (one index
// per diff_id, whatever lies below), so a streamed layer is indexed as it
// arrives, in any order, and nothing is spooled.
#include <set>
#include <vector>

#include "backend/composefs/composefs_backend.h"
#include "backend/composefs/layer_staging.h"
#include "util/sys.h"

namespace cairn::composefs {
namespace {

// Ingests the layers of one chain whose indexes are missing.
class ComposefsChainBuild final : public ChainBuild {
 public:
  ComposefsChainBuild(std::vector<ChainLink> chain, std::vector<bool> needed, LayerStaging staging)
      : m_chain(std::move(chain)), m_needed(std::move(needed)), m_staging(std::move(staging)) {}

  bool needs_layer(size_t index) const override { return m_needed.at(index); }
  bool independent_layers() const override { return true; }
  Result<LayerSink*> begin_layer(size_t index) override { return m_staging.begin_layer(index); }
  Result<void> commit_layer(size_t index) override {
    m_staging.keep_layer(index, m_chain.at(index).diff_id);
    return {};
  }
  Result<void> finish() override { return m_staging.publish(m_chain); }

 private:
  std::vector<ChainLink> m_chain;
  std::vector<bool> m_needed;
  LayerStaging m_staging;
};

// Indexes every layer of the stream as it arrives, in any order; a layer
// whose index the store has (or that came before in this stream) is dropped
// once its diff_id is known.
class ComposefsStreamBuild final : public StreamBuild {
 public:
  ComposefsStreamBuild(ComposefsBackend& backend, LayerStaging staging)
      : m_backend(backend), m_staging(std::move(staging)) {}

  bool any_order() const override { return true; }
  Result<LayerSink*> begin_layer() override { return m_staging.begin_layer(k_slot); }
  Result<void> commit_layer(const ChainLink& link) override {
    return commit_unordered(link.diff_id);
  }

  Result<void> commit_unordered(const Digest& diff_id) override {
    ASSIGN_OR_RETURN(bool indexed, sys::exists(m_backend.index_path(diff_id)));
    bool repeated = !m_seen.insert(diff_id).second;
    if (indexed || repeated) {
      m_staging.drop_layer(k_slot);
      if (indexed) m_held.insert(diff_id);
    } else {
      m_staging.keep_layer(k_slot, diff_id);
    }
    return {};
  }

  Result<size_t> finish(std::span<const ChainLink> chain) override {
    size_t held = 0;
    for (const ChainLink& link : chain) {
      if (!m_seen.contains(link.diff_id)) {
        return fail(Errc::bad_input, "layer " + link.diff_id.str() + " was not streamed");
      }
      held += m_held.contains(link.diff_id) ? 1 : 0;
    }
    TRY(m_staging.publish(chain));
    return held;
  }

 private:
  static constexpr size_t k_slot = 0;  // one layer at a time

  ComposefsBackend& m_backend;
  LayerStaging m_staging;
  std::set<Digest> m_seen;
  std::set<Digest> m_held;  // indexed before this build
};

}  // namespace

Result<std::unique_ptr<ChainBuild>> ComposefsBackend::begin_build(
    std::span<const ChainLink> chain) {
  if (chain.empty()) return fail(Errc::bad_input, "image has no layers");
  std::vector<bool> needed(chain.size(), false);
  std::set<Digest> claimed;
  for (size_t i = 0; i < chain.size(); ++i) {
    ASSIGN_OR_RETURN(bool indexed, sys::exists(index_path(chain[i].diff_id)));
    needed[i] = !indexed && claimed.insert(chain[i].diff_id).second;
  }
  ASSIGN_OR_RETURN(LayerStaging staging, LayerStaging::create(*this));
  return std::make_unique<ComposefsChainBuild>(std::vector<ChainLink>(chain.begin(), chain.end()),
                                               std::move(needed), std::move(staging));
}

Result<std::unique_ptr<StreamBuild>> ComposefsBackend::begin_stream_build() {
  ASSIGN_OR_RETURN(LayerStaging staging, LayerStaging::create(*this));
  return std::make_unique<ComposefsStreamBuild>(*this, std::move(staging));
}

}  // namespace cairn::composefs
