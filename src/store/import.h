// Importing an image into a store: the one path every source takes.
//
//   plan (source) → ChainIDs → backend build: for each layer the backend does
//   not have, ingest (blob digest, decompress, diff_id, tar) into the
//   backend's sink → commit → one metadata transaction.
//
// Layers are ingested one after the other, except on a build whose layers
// are independent (ChainBuild::independent_layers: composefs), which takes
// two at a time, unless the image has layers to pull partially. Commits are
// in layer order either way; with layers ingested together the first
// failure in layer order is reported once the others have ended.
//
// A failure at any step leaves the store as it was: the backend discards its
// staged build and no metadata is written. The caller must hold the store
// open read-write (exclusive lock).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "oci/image_plan.h"
#include "store/store.h"

namespace cairn {

struct ImportOptions {
  std::optional<std::string> name;  // defaults to the plan's default_name
  // Keep every layer's original blob (store/layer_keeping.h), also when the
  // store's keep_blobs setting is not "true".
  bool keep_blobs = false;
  // Pull layers partially where the source can (store/partial_pull.h).
  bool partial = true;
};

// Every import records each layer's tar-split (store/layer_keeping.h). A
// layer the backend already has but whose record (or, keeping blobs, whose
// blob) the store lacks, e.g. one imported by an older cairn, is read once
// more from the source for them, into no backend.

// Progress notifications, for a CLI progress display. All optional. Layers
// the store already has get none. A streamed import (store/stream_import.h)
// does not call layer_started (it learns diff_ids and the layer count only
// at the end of the stream).
//
// layer_progress: the bytes of layer `index` read from its source so far (as
// transferred: compressed), with the blob size when known. At most ~10
// calls a second per layer (util/progress.h), the last one with the final
// count. It runs on the thread that reads the blob, which may be an ingest
// worker rather than the caller's. Layers ingested together call
// layer_started and layer_progress from different threads at once, so the
// observer must be thread-safe; layer_done comes on the caller's thread once
// the layer is committed.
struct ImportObserver {
  std::function<void(size_t index, size_t count, const Digest& diff_id)> layer_started;
  std::function<void(size_t index, std::uint64_t bytes_done, std::optional<std::uint64_t> total)>
      layer_progress;
  std::function<void(size_t index, std::uint64_t tar_bytes)> layer_done;
};

// What one ingested layer cost.
struct LayerTransfer {
  size_t index = 0;
  Digest diff_id;
  std::optional<std::uint64_t> size;  // the blob's, when known
  std::uint64_t bytes_fetched = 0;    // read from the source (for a partial pull: the network)
  bool partial = false;
  size_t files_local = 0;    // partial pulls: file contents taken from the store
  size_t files_fetched = 0;  // and downloaded
};

struct ImportResult {
  Digest image_id;
  std::optional<std::string> name;
  size_t layers_ingested = 0;
  size_t layers_reused = 0;
  std::vector<LayerTransfer> transfers = {};  // per ingested layer (not for streamed imports)
};

// True if OPTIONS or the store's keep_blobs setting ask to keep blobs.
Result<bool> keeps_blobs(Store& store, const ImportOptions& options);

Result<ImportResult> import_image(Store& store, const ImagePlan& plan, const ImportOptions& options,
                                  const ImportObserver& observer = {});

}  // namespace cairn
