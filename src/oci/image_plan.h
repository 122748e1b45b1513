// What a source yields: everything needed to import one image. Sources
// validate every digest they read (Digest::parse) and resolve manifest lists
// to one platform before they return a plan.
#pragma once

#include <atomic>
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

// File contents the store already holds, by sha256 and size: what a partial
// pull need not download.
class LocalContents {
 public:
  virtual ~LocalContents() = default;
  virtual bool has(const Digest& sha256, std::uint64_t size) const = 0;
  // A Reader of exactly `size` bytes of that content (has() said yes).
  virtual Result<std::unique_ptr<Reader>> open(const Digest& sha256, std::uint64_t size) const = 0;
};

// A layer's uncompressed tar, rebuilt from the parts of its blob the store
// lacks and the contents it has (source/zstd_chunked_layer.h,
// source/estargz_layer.h).
struct PartialTar {
  std::unique_ptr<Reader> tar;  // the whole layer tar; its sha256 is the diff_id
  // Bytes received from the network for this layer so far (TOC included);
  // updated from fetch threads.
  std::shared_ptr<const std::atomic<std::uint64_t>> fetched;
  size_t files_local = 0;    // regular files whose content came from the store
  size_t files_fetched = 0;  // and those downloaded
};

struct LayerDescriptor {
  Digest blob_digest;      // digest of the blob as stored (compressed)
  std::string media_type;  // as the manifest names it
  Compression compression = Compression::none;
  std::optional<std::uint64_t> size;  // blob size if the manifest gives it
  Digest diff_id;                     // from the config's rootfs.diff_ids
  // Opens the blob stream. May be called at most once per layer for
  // stream-only sources; archive and directory sources allow it repeatedly.
  std::function<Result<std::unique_ptr<Reader>>()> open;
  // Set when the layer can be pulled partially (a zstd:chunked or eStargz layer from a
  // registry): opens its uncompressed tar, taking what it can from `local`,
  // which must outlive the tar Reader; nullopt when the source cannot after
  // all (the registry ignores Range, nothing would be saved) and `open` is
  // to be used instead. Errc::digest_mismatch when the blob's metadata or a
  // fetched content is not what its digests say (no fallback then).
  std::function<Result<std::optional<PartialTar>>(const LocalContents& local)> open_tar = {};
};

struct ImagePlan {
  std::string source;  // the URI the plan came from
  std::optional<Digest> manifest_digest;
  std::string manifest;                 // raw manifest bytes (empty if none, e.g. docker-archive)
  Digest config_digest;                 // sha256 of config bytes: the image ID
  std::string config;                   // raw config JSON bytes
  std::vector<LayerDescriptor> layers;  // base first
  std::string default_name;             // e.g. "repo:tag" from the archive, may be empty
  std::string served_by{};              // the registry mirror it came from, if one served it
};

}  // namespace cairn
