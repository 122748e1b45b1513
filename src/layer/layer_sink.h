// Where the entries of one layer go. Every backend consumes layers through
// this interface; the ingest pipeline calls add() once per tar entry in
// archive order, then finish() once the tar is read. The digests are checked
// after finish(): whenever ingest_layer() returns an error (bad tar, digest
// mismatch, the sink's own error), the owner of the sink discards everything
// the sink staged.
#pragma once

#include "layer/tar_entry.h"
#include "util/error.h"

namespace cairn {

class LayerSink {
 public:
  virtual ~LayerSink() = default;
  virtual Result<void> add(const TarEntry& entry, EntryData& data) = 0;
  // After the last entry, before the digests are checked.
  virtual Result<void> finish() = 0;
};

}  // namespace cairn
