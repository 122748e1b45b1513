// `cairn export --format oci-archive|docker-archive`: the image as it was
// imported, in the two archive forms skopeo, podman and docker read
// (doc/cli.md export). The config bytes are the stored ones (same digest,
// the image id); every layer is its kept blob (store/layer_blobs.h) or else
// its tar rebuilt byte for byte (same diff_id).
//
//  oci-archive: a tar of an OCI image layout: oci-layout, index.json naming
//    the manifest (annotation org.opencontainers.image.ref.name: the image's
//    first name, if it has one), blobs/sha256/<hex> for the manifest, the
//    config and each layer. When every layer's blob was kept and the store
//    has the manifest the image was imported with, that manifest is written
//    unchanged (so its digest is the source's); otherwise a new OCI manifest
//    lists the kept blobs and, for the other layers, the uncompressed tars
//    (application/vnd.oci.image.layer.v1.tar, digest = diff_id).
//  docker-archive: `docker save`'s layout: manifest.json ([{Config,
//    RepoTags, Layers}]), <config hex>.json, and <diff_id hex>/layer.tar,
//    uncompressed, for every layer (a layer repeated in the image is written
//    once).
//
// Members are plain ustar files written in one pass; a layer tar whose size
// the store did not record is read twice (once to measure it).
#pragma once

#include "store/store.h"
#include "util/error.h"

namespace cairn::cli {

enum class ArchiveForm { oci, docker };

// Writes the archive to FD.
Result<void> write_image_archive(Store& store, const ImageRecord& image, ArchiveForm form, int fd);

}  // namespace cairn::cli
