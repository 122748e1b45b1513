// What one composefs import stages until it publishes: per layer an
// IndexSink (the layer's index in memory, its new file contents under a
// private directory of ROOT/tmp), then the image files the store's mode
// needs. publish() follows the backend's durability contract
// (composefs_backend.h): images merged first, so that a chain the merge
// refuses leaves nothing; then sync, objects into the store, sync, layer
// indexes, image files, recipe last. Destroying a LayerStaging before
// publish() removes everything it staged. Not thread-safe.
#pragma once

#include <map>
#include <memory>
#include <span>

#include "backend/backend.h"
#include "backend/composefs/index_sink.h"
#include "util/temp_dir.h"

namespace cairn::composefs {

class ComposefsBackend;

class LayerStaging {
 public:
  static Result<LayerStaging> create(ComposefsBackend& backend);

  // A sink for the next layer (the previous one must have been kept or
  // dropped).
  Result<LayerSink*> begin_layer();
  // The layer fed since begin_layer() is DIFF_ID: kept for publish(), unless
  // a layer with that diff_id is kept already (then dropped).
  void keep_layer(const Digest& diff_id);
  // The layer fed since begin_layer() is not needed (the store has it).
  void drop_layer() { m_current.reset(); }

  // Builds the image of CHAIN (unless the store has it) from the kept
  // layers and the store's indexes, and publishes both; kept layers that
  // CHAIN does not name are discarded.
  Result<void> publish(std::span<const ChainLink> chain);

 private:
  LayerStaging(ComposefsBackend& backend, TempDir staging)
      : m_backend(&backend), m_staging(std::move(staging)) {}
  Result<void> publish_layers();

  ComposefsBackend* m_backend;
  TempDir m_staging;
  size_t m_layers = 0;
  std::unique_ptr<IndexSink> m_current;
  std::map<Digest, std::unique_ptr<IndexSink>> m_kept;
};

}  // namespace cairn::composefs
