// `dockerd://IMAGE` straight from the daemon's layer store, without
// `docker save`. Docker 20.10's save first copies every layer of the image
// into a temporary directory and only then starts the stream (most of its
// time; doc/daemon-sources.md); reading the store directly skips that copy
// and lets layers the cairn store already has go unread.
//
// What is read (graph driver overlay2; DATA_ROOT from the daemon's /info):
//   /images/IMAGE/json                          Id (= config digest), RepoTags
//   DATA_ROOT/image/overlay2/imagedb/content/sha256/<id>
//                                               the config bytes, hash checked;
//                                               its rootfs.diff_ids name the layers
//   DATA_ROOT/image/overlay2/layerdb/sha256/<chain-id>/
//       diff                                    must name the diff_id
//       cache-id                                the layer's directory below
//       tar-split.json.gz                       the layer tar's record
//   DATA_ROOT/overlay2/<cache-id>/diff          the unpacked layer
// Each layer's tar is reassembled from its tar-split record (byte for byte
// what `docker save` would send; source/tar_split.h) and, like every source,
// checked against its diff_id while it is imported.
//
// The store is only read where that is the daemon the docker CLI would use
// (source/docker_engine.h) and this process can read its data root. In every
// other case (remote or context daemon, another graph driver, a data root
// out of reach, a daemon that does not answer, a layer store laid out
// otherwise) the plan is empty with the reason, and the caller runs
// `docker save` instead.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/image_plan.h"
#include "source/docker_engine.h"
#include "util/error.h"

namespace cairn {

struct LayerStorePlan {
  std::optional<ImagePlan> plan;
  std::string why_not;  // when there is no plan: why the store cannot be read
};

// `image` is the daemon's reference (the part after "dockerd://"). Errors:
// Errc::not_found with the daemon's message for an image it does not have;
// Errc::digest_mismatch for a config that does not hash to the image id.
Result<LayerStorePlan> plan_docker_layer_store(std::string_view image,
                                               const DockerEnvironment& env);

// The name `docker save REF` records for the image (its manifest.json
// RepoTags): REF with ":latest" added when it has no tag, in docker's
// familiar form, if the image has that tag; "" otherwise (a reference by
// digest, or by id).
std::string saved_repo_tag(std::string_view ref, const std::vector<std::string>& repo_tags);

}  // namespace cairn
