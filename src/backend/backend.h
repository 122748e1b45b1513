// The backend interface: how image root filesystems are materialized. Like a
// containers/storage graph driver or a containerd snapshotter, a backend
// consumes layers as streams of tar entries (LayerSink) and gives back a
// root filesystem for an image.
//
// Import protocol (driven by store/import): begin_build() with the image's
// chain; layers [0, first_needed()) are reused and never read; then for each
// layer i from first_needed() on, in order: begin_layer(i), the ingest
// pipeline feeds the sink, and once both digests are verified
// commit_layer(i); finally finish(). Destroying a ChainBuild before finish()
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
  virtual Result<std::string> rootfs_path(const Digest& top) = 0;

  // Removes every materialization that no chain in `keep` needs.
  virtual Result<void> collect(const std::set<Digest>& keep) = 0;
  // Removes half-built state left by a crash. Called with the store lock held.
  virtual Result<void> recover() = 0;

  // Containers (added by the btrfs/zfs chain backends): a container is a
  // writable copy-on-write copy of an image's rootfs, named NAME (validated
  // by the store: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64 characters). The
  // store keeps the container table and passes every container's image top
  // chain to collect() in `keep`. Backends without copy-on-write (dir) keep
  // these defaults and fail with Errc::unsupported.
  //
  // Creates container NAME from the image whose top chain is TOP; returns its
  // path. Errc::already_exists if NAME exists in the backend.
  virtual Result<std::string> create_container(const Digest& top, const std::string& name) {
    (void)top;
    return no_containers(name);
  }
  // Destroys container NAME with everything written into it; a missing one is fine.
  virtual Result<void> remove_container(const std::string& name) {
    return no_containers(name);
  }
  // The writable root directory of container NAME.
  virtual Result<std::string> container_path(const std::string& name) {
    return no_containers(name);
  }

 private:
  std::unexpected<Error> no_containers(const std::string& container) const {
    return fail(Errc::unsupported, "container " + container + ": the " + std::string(name()) +
                                       " backend has no containers");
  }
};

}  // namespace cairn
