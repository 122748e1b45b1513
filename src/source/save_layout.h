// What a `docker save` / `podman save` stream describes, once it has been
// read: the members seen (layer data excluded) and the small JSON documents
// kept in memory, resolved to one image.
//
// Two forms are understood, as in docker-archive files (doc/cli.md):
//  - legacy: manifest.json names the config ("<hex>.json") and the layers
//    ("<v1id>/layer.tar", possibly a symlink to "<diffid>.tar" or to another
//    layer.tar, or "blobs/sha256/<hex>" in Docker 25+ saves);
//  - OCI layout without manifest.json: index.json -> manifest blob -> config
//    and layer blobs under blobs/sha256/.
// Member paths are followed through symlinks and hardlinks inside the
// stream. The stream must hold exactly one image (a save of one reference).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oci/digest.h"
#include "util/error.h"
#include "util/tar_header.h"

namespace cairn {

struct SaveIndex {
  struct Member {
    tar_header::Kind kind = tar_header::Kind::other;
    std::string link;
  };
  std::map<std::string, Member> members;         // every member, by normalized name
  std::map<std::string, std::string> documents;  // small non-layer members' bytes
};

struct SavedLayer {
  std::string member;                 // regular-file member holding the blob
  std::optional<Digest> blob_digest;  // when the name or manifest promises one
  Digest diff_id;                     // from the config
};

struct SavedImage {
  Digest config_digest;
  std::string config;
  std::optional<Digest> manifest_digest;  // OCI form
  std::string manifest;                   // OCI form
  std::vector<SavedLayer> layers;         // base first
  std::string default_name;               // first RepoTag / ref.name, may be empty
};

// Errc::bad_input for a missing or malformed manifest.json / index.json /
// config, several images, or a layer count that differs from the config's
// diff_ids; Errc::digest_mismatch for a config whose name promises another
// digest.
Result<SavedImage> resolve_saved_image(const SaveIndex& index, const std::string& where);

// The regular-file member `path` names, following links (relative to the
// link's directory; at most 16 hops). Errc::bad_input if there is none.
Result<std::string> resolve_member(const SaveIndex& index, const std::string& path,
                                   const std::string& where);

}  // namespace cairn
