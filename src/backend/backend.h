// The backend interface: how image root filesystems are materialized. Like a
// containers/storage graph driver or a containerd snapshotter, a backend
// consumes layers as streams of tar entries (LayerSink) and gives back a
// root filesystem for an image.
//
// Import protocol (driven by store/import): begin_build() with the image's
// chain; layers with needs_layer(i) false are reused and never read; then for
// each layer i with needs_layer(i), in order: begin_layer(i), the ingest
// pipeline feeds the sink, and once both digests are verified
// commit_layer(i); finally finish(). Chain backends need a suffix of the
// chain (the default needs_layer: i >= first_needed()); backends whose
// layers are independent (composefs) may need any subset. Destroying a ChainBuild before finish()
// returns removes everything it staged. Nothing a build stages is visible to
// readers before finish(); after finish() it is durable.
#pragma once

#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "layer/layer_sink.h"
#include "oci/digest.h"
#include "util/error.h"

namespace cairn {

struct ChainLink {
  Digest diff_id;
  Digest chain_id;
};

class ChainBuild {
 public:
  virtual ~ChainBuild() = default;
  virtual size_t first_needed() const = 0;
  virtual bool needs_layer(size_t index) const { return index >= first_needed(); }
  virtual Result<LayerSink*> begin_layer(size_t index) = 0;
  virtual Result<void> commit_layer(size_t index) = 0;
  virtual Result<void> finish() = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;

  virtual Result<std::unique_ptr<ChainBuild>> begin_build(std::span<const ChainLink> chain) = 0;

  // True if the chain ending in `top` is materialized as an image rootfs.
  virtual Result<bool> has_image(const Digest& top) = 0;
  // A read-only view of the image whose top chain is `top`; returns its path.
  // Errc::unsupported for backends whose images exist only when mounted.
  virtual Result<std::string> rootfs_path(const Digest& top) = 0;

  // Makes the image readable at TARGET (empty: default_mount_point(top)) and
  // returns the path; mounting where the image is already mounted is fine.
  // The default (dir) has nothing to mount: it returns rootfs_path(top) and
  // refuses a TARGET (Errc::unsupported).
  virtual Result<std::string> mount_image(const Digest& top, const std::string& target) {
    if (!target.empty()) return fail(Errc::unsupported, "backend cannot mount at " + target);
    return rootfs_path(top);
  }
  // Where mount_image puts the image when given no target.
  virtual Result<std::string> default_mount_point(const Digest& top) { return rootfs_path(top); }
  // Undoes mount_image at PATH; the default has nothing to undo.
  virtual Result<void> unmount(const std::string& path) {
    (void)path;
    return {};
  }

  // Removes every materialization that no chain in `keep` needs.
  virtual Result<void> collect(const std::set<Digest>& keep) = 0;
  // Removes half-built state left by a crash. Called with the store lock held.
  virtual Result<void> recover() = 0;
};

}  // namespace cairn
