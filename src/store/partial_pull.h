// Partial pulls inside an import (store/import.cc): a layer whose source
// can rebuild its uncompressed tar (LayerDescriptor::open_tar: zstd:chunked
// or eStargz from a registry) is ingested from that tar, the file contents
// the store already holds (store/store_contents.h) taken from the store. Ingest then
// checks the tar's diff_id exactly as for a full pull; the image's metadata
// keeps the layer's blob digest and media type.
//
// Not used (the blob is downloaded as usual) when the import disables it
// (ImportOptions::partial, `--no-partial`), when the layer's blob is to be
// kept (a partial pull never has it), or when open_tar says no.
//
// It also counts what each ingested layer cost: ImportResult::transfers.
//
// Layers ingested together (store/import.cc) call rebuilt() and ingested()
// from several threads; that is safe only for layers that are not pulled
// partially (a partial pull's two calls share state), so an image with
// layers to pull partially is ingested one layer at a time.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "layer/ingest.h"
#include "oci/image_plan.h"
#include "store/import.h"
#include "store/store_contents.h"

namespace cairn {

class PartialPulls {
 public:
  PartialPulls(Store& store, bool enabled) : m_store(store), m_enabled(enabled) {}

  // The layer as ingest is to read it when it is pulled partially: its tar,
  // reported to the observer as bytes fetched of the blob's size; nullopt
  // to pull the blob. Loads the store's contents on first use.
  Result<std::optional<LayerDescriptor>> rebuilt(const LayerDescriptor& layer, size_t index,
                                                 bool keep_blob, const ImportObserver& observer);
  // After layer INDEX was ingested (from the rebuilt tar if rebuilt() gave
  // one just before, else from its blob).
  void ingested(size_t index, const LayerDescriptor& layer, const IngestStats& stats);

  // In layer order.
  std::vector<LayerTransfer> take_transfers();

 private:
  Store& m_store;
  bool m_enabled;
  std::mutex m_mutex;  // guards the members below
  std::unique_ptr<StoreContents> m_contents;
  std::optional<PartialTar> m_current;  // the tar Reader itself moved into the descriptor
  std::vector<LayerTransfer> m_transfers;
};

}  // namespace cairn
