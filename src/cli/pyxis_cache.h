// The pyxis importer's squashfs cache, ROOT/pyxis/<image-hex>.sqsh
// (cmd_pyxis.cc, doc/pyxis.md).
#pragma once

#include "store/store.h"
#include "util/error.h"

namespace cairn::cli {

// Removes the cached squashfs of every image the store no longer has (`gc`).
// The caller holds the store open read-write, so no import runs meanwhile.
Result<void> prune_pyxis_cache(Store& store);

}  // namespace cairn::cli
