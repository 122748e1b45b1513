// The composefs backend's layer sink: turns one layer's tar entries into a
// layer index (kept as its text, IndexText) and stages the content of its
// regular files for the object store.
//
// Paths are classified and made canonical here (oci_path.h), so hostile
// paths are refused at ingest exactly as the dir applier refuses them
// (Errc::unsafe_path / Errc::bad_input); symlinks inside paths depend on the
// lower layers and are resolved when an image is merged (merge.h). Regular
// files of at most k_inline_limit bytes are kept inline in the index (as
// mkcomposefs inlines them in the image); larger ones are written to a file
// in the staging directory while their fs-verity digest is computed (holes
// read as zeros), and dropped at once if the store or this layer has that
// content already.
//
// finish() writes the index to the staging directory and, if the layer
// staged any file, syncs the filesystem, so that a layer ingested beside
// others (store/import.cc) writes its data back while they go on, and the
// sync before publishing (which makes the index durable too) finds little
// left to do.
// publish() moves the staged content into the object store; the caller syncs
// the filesystem before (so that no object is visible before its content is
// durable) and after (to make the renames durable). Not thread-safe; one
// instance per layer.
#pragma once

#include <map>
#include <string>

#include "backend/composefs/layer_index.h"
#include "backend/composefs/object_store.h"
#include "layer/layer_sink.h"

namespace cairn::composefs {

inline constexpr std::uint64_t k_inline_limit = 64;

class IndexSink final : public LayerSink {
 public:
  // STAGING_DIR must exist, be private to this sink and live on the same
  // filesystem as the object store.
  IndexSink(ObjectStore& objects, std::string staging_dir)
      : m_objects(objects), m_staging(std::move(staging_dir)) {}

  Result<void> add(const TarEntry& entry, EntryData& data) override;
  // Makes the staged contents durable (one syncfs per layer, see above).
  Result<void> finish() override;

  // The layer's index (layer_index.h), written by finish() to this file in
  // the staging directory (and no longer held in memory); made durable by
  // the sync before publish().
  std::string staged_index() const { return m_staging + "/index"; }
  // Every staged object into the store (see ObjectStore::adopt).
  Result<void> publish();

 private:
  Result<void> add_regular(IndexEntry& e, EntryData& data);
  Result<void> stage_object(IndexEntry& e, EntryData& data);

  ObjectStore& m_objects;
  std::string m_staging;
  IndexText m_index;
  std::map<erofs::VerityDigest, std::string> m_staged;  // digest -> staged file
  std::uint64_t m_counter = 0;
};

}  // namespace cairn::composefs
