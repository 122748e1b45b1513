// What the store keeps of every layer besides the backend's data, so that
// the layer can be given back byte for byte (store/layer_blobs.h). (Not
// ROOT/layers: the zfs backend mounts its layers dataset there.)
//
//   ROOT/tar-split/<diff_id hex>.tar-split.gz   the layer's tar-split record
//                                            (layer/tar_split_recorder.h),
//                                            gzip; every ingested layer
//   ROOT/blobs/sha256/<blob hex>             the original compressed blob,
//                                            when kept (import --keep-blobs,
//                                            store setting keep_blobs)
//
// Both are written while the layer ingests, to files staged in ROOT/tmp (so a
// killed import leaves them where the next mutating command sweeps them),
// fsynced once ingest verified both digests (seal), and renamed into place
// (publish) only after the backend committed the layer. A failed ingest
// drops them: a LayerKeeping destroyed unpublished removes its staged files.
// A file already in place is not written again. gc removes records and blobs
// no image names (Store::collect_garbage).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "layer/ingest.h"
#include "oci/digest.h"
#include "util/error.h"

namespace cairn {

std::string tar_split_path(const std::string& root, const Digest& diff_id);
std::string kept_blob_path(const std::string& root, const Digest& blob_digest);

// What to keep of one layer.
struct KeepWhat {
  bool record = false;
  bool blob = false;
};

// The staged files of one layer being ingested.
class LayerKeeping {
 public:
  // Stages the files WHAT asks for in ROOT/tmp.
  static Result<std::unique_ptr<LayerKeeping>> start(const std::string& root, KeepWhat what);
  ~LayerKeeping();
  LayerKeeping(const LayerKeeping&) = delete;
  LayerKeeping& operator=(const LayerKeeping&) = delete;

  // For ingest; valid as long as this object.
  const IngestTaps& taps() const { return m_taps; }
  // After a successful ingest: ends and fsyncs the staged files.
  Result<void> seal();
  // After the backend committed the layer: renames the staged files to
  // their places for DIFF_ID and BLOB_DIGEST (one already there is kept and
  // the staged copy dropped), then fsyncs the directories.
  Result<void> publish(const Digest& diff_id, const Digest& blob_digest);

  struct Files;

 private:
  explicit LayerKeeping(std::string root);
  std::string m_root;
  std::unique_ptr<Files> m_files;
  IngestTaps m_taps;
};

// Whether ROOT keeps the blobs of the layers it imports: the store setting
// keep_blobs ("true" / "false"; doc/store-format.md).
inline constexpr std::string_view k_keep_blobs_setting = "keep_blobs";

}  // namespace cairn
