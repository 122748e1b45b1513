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
//
// Streaming protocol (store/stream_import, for `docker save`-like streams
// whose layers arrive before the manifest and config that name them):
// begin_stream_build() with nothing known; then for each layer, in apply
// order (base first): begin_layer() returns the sink the next layer is fed
// into, and once ingest has computed its diff_id, commit_layer(link) names it
// (link.chain_id must continue the chain committed so far); finally
// finish(chain) with the complete chain, which must equal the committed
// links. It returns how many of those layers the backend already held
// (their staged copies are dropped). The same visibility and discard rules
// as for ChainBuild apply. The default implementation returns
// Errc::unsupported, and the importer then spools every layer to ROOT/tmp and
// takes the begin_build() path instead.
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

class StreamBuild {
 public:
  virtual ~StreamBuild() = default;
  virtual Result<LayerSink*> begin_layer() = 0;
  virtual Result<void> commit_layer(const ChainLink& link) = 0;
  virtual Result<size_t> finish(std::span<const ChainLink> chain) = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;

  virtual Result<std::unique_ptr<ChainBuild>> begin_build(std::span<const ChainLink> chain) = 0;
  // See "Streaming protocol" above; optional.
  virtual Result<std::unique_ptr<StreamBuild>> begin_stream_build() {
    return fail(Errc::unsupported, std::string(name()) + " backend: no streaming builds");
  }

  // True if the chain ending in `top` is materialized as an image rootfs.
  virtual Result<bool> has_image(const Digest& top) = 0;
  // A read-only view of the image whose top chain is `top`; returns its path.
  virtual Result<std::string> rootfs_path(const Digest& top) = 0;

  // Removes every materialization that no chain in `keep` needs.
  virtual Result<void> collect(const std::set<Digest>& keep) = 0;
  // Removes half-built state left by a crash. Called with the store lock held.
  virtual Result<void> recover() = 0;
};

}  // namespace cairn
