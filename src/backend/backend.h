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
// chain (the layers above the longest prefix already published); backends whose
// layers are independent (composefs) may need any subset, and with
// independent_layers() the importer feeds several layers at once (each
// begun before it is fed, commits still in order). Destroying a ChainBuild before finish()
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
//
// A StreamBuild whose any_order() is true (layers independent of what lies
// below them: composefs) takes the layers in stream order instead: each
// begin_layer() is followed by commit_unordered(diff_id), with no ChainID;
// a diff_id may come more than once. finish(chain) then gets the image's
// chain in apply order, every diff_id of which has been committed (repeats
// included); committed layers that the chain does not name are discarded.
// It returns how many of the chain's layers the backend already held.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backend/image_integrity.h"
#include "layer/layer_contents.h"
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
  virtual bool needs_layer(size_t index) const = 0;
  // True when layers do not build on each other: the sinks of several layers
  // may then be open at once and fed from different threads (begin_layer()
  // of later layers before commit_layer() of earlier ones; begin_layer() and
  // commit_layer() still on one thread, commits in order).
  virtual bool independent_layers() const { return false; }
  virtual Result<LayerSink*> begin_layer(size_t index) = 0;
  virtual Result<void> commit_layer(size_t index) = 0;
  virtual Result<void> finish() = 0;
};

class StreamBuild {
 public:
  virtual ~StreamBuild() = default;
  virtual bool any_order() const { return false; }
  virtual Result<LayerSink*> begin_layer() = 0;
  virtual Result<void> commit_layer(const ChainLink& link) = 0;
  // Only for any_order() builds.
  virtual Result<void> commit_unordered(const Digest& diff_id) {
    return fail(Errc::unsupported, "layer " + diff_id.str() + ": build needs apply order");
  }
  virtual Result<size_t> finish(std::span<const ChainLink> chain) = 0;
};

// One named byte count of `cairn df` (doc/cli.md lists the names each
// backend reports).
struct UsageItem {
  std::string name;
  std::uint64_t bytes = 0;
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

  // Image digests, their verification and signatures (image_integrity.h),
  // for backends whose images have them; nullptr for the others (the
  // default).
  virtual ImageIntegrity* integrity() { return nullptr; }
  // integrity(), or Errc::unsupported naming WHAT needs it.
  Result<ImageIntegrity*> require_integrity(std::string_view what) {
    if (ImageIntegrity* found = integrity()) return found;
    return fail(Errc::unsupported, std::string(what) + ": the " + std::string(name()) +
                                       " backend has no image digests (composefs has)");
  }

  // The contents of the regular files of layer INDEX of CHAIN (a stored
  // image's chain, base first), by which store/layer_blobs.h rebuilds the
  // layer's tar from its tar-split record (layer/layer_contents.h). composefs:
  // the layer's index and objects; btrfs, zfs: the layer's ChainID snapshot;
  // dir: the image's merged tree, which holds a file of layer INDEX only if
  // no later layer changed it (the sha256 check decides). Default:
  // Errc::unsupported.
  virtual Result<std::unique_ptr<LayerContents>> layer_contents(std::span<const ChainLink> chain,
                                                                size_t index) {
    (void)chain;
    (void)index;
    return fail(Errc::unsupported, std::string(name()) + " backend: no layer contents");
  }

  // What layer_contents(chain, i) holds of layer i, which says how far it can be checked
  // against the layer's record (cairn fsck): entries, every file as the layer wrote it (composefs:
  // the layer's index), so the layer's tar can be rebuilt; layer_tree, the layer's tree as applied
  // (btrfs, zfs snapshots: a path the layer wrote twice holds its last version); merged_tree, the
  // image's merged tree (dir), which holds the files of the top layer and, of the others, only
  // what no later layer changed.
  enum class ContentsKind { entries, layer_tree, merged_tree };
  virtual ContentsKind contents_kind() const { return ContentsKind::entries; }

  // Removes every materialization that no chain in `keep` needs.
  virtual Result<void> collect(const std::set<Digest>& keep) = 0;
  // Removes half-built state left by a crash. Called with the store lock held.
  virtual Result<void> recover() = 0;
  // What recover() would remove (one line each, naming it), without removing it; for
  // `cairn fsck`. The default: nothing (the backend stages only in ROOT/tmp).
  virtual Result<std::vector<std::string>> unfinished() { return std::vector<std::string>{}; }
  // Removes what open() made in a new store (directories, datasets) when the
  // store is abandoned before it held any image or container.
  virtual Result<void> remove_layout() = 0;

  // Containers: a container is a writable copy of an image's rootfs, named
  // NAME (validated by the store: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64
  // characters): a clone on btrfs and zfs, an overlay over the mounted image
  // on composefs, a full copy of the tree on dir. The store keeps the
  // container table and passes every container's image top chain to
  // collect() in `keep`. A backend without containers keeps these defaults,
  // which fail with Errc::unsupported.
  //
  // Creates container NAME from the image whose top chain is TOP; returns its
  // path. Errc::already_exists if NAME exists in the backend.
  virtual Result<std::string> create_container(const Digest& top, const std::string& name) {
    (void)top;
    return no_containers(name);
  }
  // Destroys container NAME with everything written into it; a missing one is fine.
  virtual Result<void> remove_container(const std::string& name) { return no_containers(name); }
  // The writable root directory of container NAME.
  virtual Result<std::string> container_path(const std::string& name) {
    return no_containers(name);
  }
  // Makes container NAME's writable root available at TARGET (empty: its
  // default place) and returns the path; mounting it again where it is
  // mounted just returns the path. The default (btrfs, zfs: the tree is
  // always there) returns container_path(name) and refuses a TARGET.
  virtual Result<std::string> mount_container(const std::string& name, const std::string& target) {
    if (!target.empty()) return fail(Errc::unsupported, "backend cannot mount at " + target);
    return container_path(name);
  }
  // Where mount_container puts container NAME when given no target; what
  // unmount() is given to undo that.
  virtual Result<std::string> container_mount_point(const std::string& name) {
    return container_path(name);
  }

  // Disk usage (backend_usage.cc). image_usage: what the image whose top
  // chain is TOP takes; data shared with other images counts in each. The
  // default: "tree_bytes", the apparent size of rootfs_path(top) (regular
  // files once per inode, plus symlink targets). total_usage: the backend's
  // whole data; the default reports nothing (the caller sums images).
  virtual Result<std::vector<UsageItem>> image_usage(const Digest& top);
  virtual Result<std::vector<UsageItem>> total_usage() { return std::vector<UsageItem>{}; }

 private:
  std::unexpected<Error> no_containers(const std::string& container) const {
    return fail(Errc::unsupported, "container " + container + ": the " + std::string(name()) +
                                       " backend has no containers");
  }
};

}  // namespace cairn
