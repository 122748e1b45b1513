// The file-based sources behind plan_image(), one per URI scheme. Each
// returns a plan whose `source` field the caller fills in.
#pragma once

#include <optional>
#include <string>

#include "oci/image_plan.h"
#include "oci/platform.h"
#include "util/error.h"

namespace cairn {

// oci:DIR[:TAG] — an OCI image layout directory.
Result<ImagePlan> plan_oci_dir(const std::string& dir, const std::optional<std::string>& tag,
                               const Platform& platform);

// oci-archive:FILE[:TAG] — a tar of an OCI image layout, read in place.
Result<ImagePlan> plan_oci_archive(const std::string& file, const std::optional<std::string>& tag,
                                   const Platform& platform);

// docker-archive:FILE[:REPO:TAG | :@N] — `docker save` output.
//
// The archive's manifest.json ([{"Config", "RepoTags", "Layers"}]) is the
// authority for both forms: legacy ("<id>/layer.tar", "<hex>.tar" symlinks
// as podman and skopeo write them) and Docker 25+ (whose Config and Layers
// name "blobs/sha256/<hex>" of the OCI layout it carries alongside). An
// archive with index.json but no manifest.json is planned as an OCI layout.
// The image is chosen by REPO:TAG among RepoTags ("docker.io/library/" is
// implied on either side, ":latest" when the tag is omitted), by position
// with "@N", or is the only one.
//
// The config digest is the sha256 of the config bytes; a config named
// "<hex>.json" or "blobs/sha256/<hex>" must hash to that hex
// (Errc::digest_mismatch). There is no manifest: manifest and
// manifest_digest stay empty. Each layer's compression is sniffed from its
// first bytes; its blob digest is the diff_id when the member is plain tar
// (the blob *is* the uncompressed tar), the hex of a "blobs/sha256/<hex>"
// name otherwise, or else computed by reading the member once at plan time.
// Media types are the OCI layer types matching the sniffed compression.
Result<ImagePlan> plan_docker_archive(const std::string& file,
                                      const std::optional<std::string>& ref,
                                      const Platform& platform);

}  // namespace cairn
