// Where the entries of one layer go. Every backend consumes layers through
// this interface; the ingest pipeline calls add() once per tar entry in
// archive order, then finish(). If ingest fails (bad tar, digest mismatch),
// finish() is not called and the owner of the sink discards what it staged.
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
