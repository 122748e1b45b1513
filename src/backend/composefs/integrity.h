// Integrity of a composefs store (doc/composefs-backend.md, "Integrity").
//
// The image digest, the image's composefs identity in every mode: the
// fs-verity digest of the EROFS image flat mode writes for its merged tree,
// i.e. what `mkcomposefs --print-digest` prints for the same tree. A flat
// image mounts that very file; a per-layer or hybrid image records the
// digest computed when it was published (image_recipe.h), without the flat
// file ever being written; for recipes older than that it is rebuilt from
// the layer indexes. Each EROFS file names its objects by fs-verity digest
// (trusted.overlay.metacopy), so the digest covers the whole tree once
// every file and object is verified.
//
// Verification re-hashes what it covers and reports every problem found,
// not just the first: EROFS files against their recorded digests; each
// image's files and image digest against what its layer indexes give when
// rebuilt (so a stacked image is proven to show the tree its image digest
// names); layer indexes that are missing or unreadable; objects whose content
// does not hash to their name, and objects an index names that are missing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "backend/composefs/composefs_backend.h"

namespace cairn::composefs {

// The image digest of the image whose top chain is TOP, in hex.
Result<std::string> image_digest(ComposefsBackend& backend, const Digest& top);

// TOP: that image's files, indexes and objects; none: every image in the
// store and every object present (an object no index names is still hashed).
// Images are counted by recipe, files are EROFS files.
Result<IntegrityReport> verify(ComposefsBackend& backend, const std::optional<Digest>& top);

}  // namespace cairn::composefs
