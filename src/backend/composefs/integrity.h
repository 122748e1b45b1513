// Integrity of a composefs store (doc/composefs-backend.md, "Integrity").
//
// The image digest: for an image mounted from one EROFS file (flat, or a
// one-layer per-layer image) the fs-verity digest of that file, the
// composefs digest `mkcomposefs --print-digest` prints for the same tree.
// For a stack of several EROFS files it is SHA-256 over the text
// "cairn-composefs-stack 1\n" followed by each file's fs-verity digest in
// hex and "\n", bottom first. It comes from the digests recorded in the
// recipe when the image was published (computed from the files for
// version 1 recipes). Each EROFS file names its objects by fs-verity digest
// (trusted.overlay.metacopy), so the image digest covers the whole tree once
// every file and object is verified.
//
// Verification re-hashes what it covers and reports every problem found,
// not just the first: EROFS files against their recorded digests, layer
// indexes that are missing or unreadable, objects whose content does not
// hash to their name, and objects an index names that are missing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "backend/composefs/composefs_backend.h"

namespace cairn::composefs {

// The image digest of the image whose top chain is TOP, in hex.
Result<std::string> image_digest(ComposefsBackend& backend, const Digest& top);

struct VerifyReport {
  size_t images = 0;         // recipes checked
  size_t erofs_files = 0;    // EROFS files re-hashed
  size_t objects = 0;        // objects re-hashed
  std::vector<std::string> problems;  // one line each
};

// TOP: that image's files, indexes and objects; none: every image in the
// store and every object present (an object no index names is still hashed).
Result<VerifyReport> verify(ComposefsBackend& backend, const std::optional<Digest>& top);

}  // namespace cairn::composefs
