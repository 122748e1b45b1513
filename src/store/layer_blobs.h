// Layers back out of the store, byte for byte, for `cairn push` and
// `cairn export --format oci-archive|docker-archive`.
//
// What the store keeps for this (store/layer_keeping.h, doc/store-format.md):
// every layer ingested since tar-split records exist has its record at
// ROOT/tar-split/<diff_id hex>.tar-split.gz; with keep_blobs (import
// --keep-blobs, the store setting keep_blobs; dir stores have it on by
// default) the original compressed blob at ROOT/blobs/sha256/<hex>; and the
// raw manifest of images imported from a source that has one (registry, OCI
// layouts and archives; not docker archives or save streams) in the
// metadata (image_manifests).
//
// How open_layer_tar rebuilds a layer: the record's raw segments as they
// are, each regular file's content from the backend (Backend::layer_contents:
// composefs from the layer index and its objects, btrfs/zfs from the layer's
// ChainID snapshot, dir from the image's merged tree) with its sha256
// checked at the end of the file. A layer whose blob was kept is given from
// that blob, decompressed, instead (on every backend: the trees of dir,
// btrfs and zfs hold only the last version of a path, so a layer that wrote a
// path twice, or for dir any layer a later one changed, cannot be rebuilt
// from them). Either way the bytes are checked against the diff_id.
//
// All three only read the store (no lock is taken; the caller may hold one).
// Readers are single-pass and not thread-safe; several may be open at once.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"
#include "util/reader.h"

namespace cairn {
// The original compressed blob of the image's layer `index`, as imported, when the store kept
// it (nullopt when it did not). The Reader yields exactly the bytes whose sha256 is the
// layer's blob_digest.
Result<std::optional<std::unique_ptr<Reader>>> open_kept_blob(Store& store,
                                                              const ImageRecord& image,
                                                              size_t index);
// The uncompressed tar of the image's layer `index`, byte for byte as imported (its sha256 is
// the layer's diff_id), rebuilt from the layer's tar-split record and the file contents the
// backend holds. The Reader fails with Errc::digest_mismatch at its end if the bytes do not
// hash to the diff_id, and a content whose sha256 differs from the record's fails at once
// (naming the file). Errc::not_found, with a message saying how to get it back (import the
// image again, or with --keep-blobs), when there is no record (a layer imported by an older
// cairn) or the backend no longer has a file's content.
Result<std::unique_ptr<Reader>> open_layer_tar(Store& store, const ImageRecord& image,
                                               size_t index);
// open_layer_tar without the kept blob: always from the record and the backend's files, so that
// reading it to the end checks what the backend holds (cairn fsck). Only certain to succeed on
// backends whose Backend::contents_kind() is entries (composefs).
Result<std::unique_ptr<Reader>> rebuild_layer_tar(Store& store, const ImageRecord& image,
                                                  size_t index);
// The image's chain, base first, as Backend::layer_contents takes it.
std::vector<ChainLink> chain_of(const ImageRecord& image);
// The raw manifest the image was imported with, when known (registry, OCI layouts).
Result<std::optional<std::string>> stored_manifest(Store& store, const ImageRecord& image);
}  // namespace cairn
