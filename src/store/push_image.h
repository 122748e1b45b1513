// `cairn push`: an image of the store to a repository of a registry
// (doc/registry.md "Push").
//
// Steps: the config blob (the image's config bytes, unchanged: same digest,
// same image id), then the layers, max_parallel_fetches at a time, then the
// manifest, tagged with the destination's tag.
//
// Each layer's blob is, in order of preference:
//   1. the original blob, when the store kept it (layer_blobs.h
//      open_kept_blob): HEAD first; when the image came from another
//      repository of the same registry (ImageRecord::source), a
//      cross-repository mount; else uploaded;
//      A kept blob keeps the annotations its descriptor had in the stored
//      manifest (a zstd:chunked blob's TOC position), also in a new manifest;
//   2. the layer's tar rebuilt (open_layer_tar), compressed with
//      `compression` (layer/compress.h, or layer/zstd_chunked_writer.h with
//      `chunked`: deterministic). When this (diff_id, compression) was pushed
//      before, the store remembers the digest and annotations
//      (Metadata::pushed_blob) and a HEAD saves the work; otherwise it is
//      compressed while it uploads and recorded once the push is done.
// The manifest: the stored one, byte for byte (so its digest is the
// original's), when every layer was its original blob; else a new one
// (store/push_manifest.h).
//
// The store is only read (no lock is held: imports may run meanwhile) but
// for the pushed_blobs cache rows. A failure leaves the registry with some
// blobs and no new manifest; pushing again skips the blobs it has.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "oci/compression.h"
#include "source/registry_options.h"
#include "source/registry_push.h"
#include "source/registry_reference.h"
#include "store/import.h"
#include "store/store.h"

namespace cairn {

struct PushOptions {
  RegistryOptions registry;
  Compression compression = Compression::gzip;  // for layers compressed again
  bool chunked = false;                         // zstd:chunked (with Compression::zstd)
  std::uint64_t chunk_size = k_default_push_chunk_size;
};

struct PushResult {
  Digest manifest_digest;
  std::string destination;            // "HOST/REPO:TAG"
  bool manifest_as_imported = false;  // the stored manifest, unchanged
  size_t blobs_uploaded = 0;
  size_t blobs_present = 0;  // the registry had them already
  size_t blobs_mounted = 0;
  unsigned resumes = 0;  // uploads continued after a failure
};

// Errc::usage for a destination with a digest.
Result<PushResult> push_image(Store& store, const ImageRecord& image,
                              const RegistryReference& destination, const PushOptions& options,
                              const ImportObserver& observer = {});

}  // namespace cairn
