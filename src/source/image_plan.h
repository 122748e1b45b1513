// What a source yields: everything needed to import one image. Sources
// validate every digest they read (Digest::parse) and resolve manifest lists
// to one platform before they return a plan.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "oci/compression.h"
#include "oci/digest.h"
#include "util/error.h"
#include "util/reader.h"

namespace cairn {

struct LayerDescriptor {
  Digest blob_digest;          // digest of the blob as stored (compressed)
  std::string media_type;      // as the manifest names it
  Compression compression = Compression::none;
  std::optional<std::uint64_t> size;  // blob size if the manifest gives it
  Digest diff_id;              // from the config's rootfs.diff_ids
  // Opens the blob stream. May be called at most once per layer for
  // stream-only sources; archive and directory sources allow it repeatedly.
  std::function<Result<std::unique_ptr<Reader>>()> open;
};

struct ImagePlan {
  std::string source;               // the URI the plan came from
  std::optional<Digest> manifest_digest;
  std::string manifest;             // raw manifest bytes (empty if none, e.g. docker-archive)
  Digest config_digest;             // sha256 of config bytes: the image ID
  std::string config;               // raw config JSON bytes
  std::vector<LayerDescriptor> layers;  // base first
  std::string default_name;         // e.g. "repo:tag" from the archive, may be empty
  std::string served_by{};          // the registry mirror it came from, if one served it
};

}  // namespace cairn
