// What one composefs import stages until it publishes: per layer an
// IndexSink (the layer's index and its new file contents under a
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

  // A sink for the layer in SLOT (any number not open already). Sinks of
  // different slots are independent: they may be fed from different threads
  // at once, while this object is used from one thread only.
  Result<LayerSink*> begin_layer(size_t slot);
  // The layer fed into SLOT is DIFF_ID: kept for publish(), unless a layer
  // with that diff_id is kept already (then dropped).
  void keep_layer(size_t slot, const Digest& diff_id);
  // The layer fed into SLOT is not needed (the store has it).
  void drop_layer(size_t slot) { m_open.erase(slot); }

  // Builds the image of CHAIN (unless the store has it) from the kept
  // layers and the store's indexes, and publishes both; kept layers that
  // CHAIN does not name are discarded. In hybrid mode a new image may make
  // a prefix shared: earlier flat images are then re-split
  // (ComposefsBackend::resplit_flat_images()).
  Result<void> publish(std::span<const ChainLink> chain);

 private:
  LayerStaging(ComposefsBackend& backend, TempDir staging)
      : m_backend(&backend), m_staging(std::move(staging)) {}
  Result<void> publish_layers();

  ComposefsBackend* m_backend;
  TempDir m_staging;
  size_t m_layers = 0;
  std::map<size_t, std::unique_ptr<IndexSink>> m_open;  // by slot
  std::map<Digest, std::unique_ptr<IndexSink>> m_kept;
};

}  // namespace cairn::composefs
