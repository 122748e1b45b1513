// Per-layer copy-on-write chains, shared by the btrfs and zfs backends.
//
// Every layer is its own filesystem object (a btrfs subvolume, a ZFS
// dataset) named by its ChainID: a writable snapshot of the parent layer's
// object (an empty one for the base layer) into which the layer's entries are
// applied with DirApplier, then sealed read-only. The same diff on two parents
// is two objects (two ChainIDs), a diff repeated inside one image is fine, and
// images that share a base share its objects and their blocks. An image is
// just its top layer's object.
//
// A layer is staged under a temporary name and published under its ChainID
// only in commit_layer(), after ingest verified both digests; so a published
// ChainID is always complete, and whatever a killed build staged carries a
// temporary name that the backend's recover() removes. The layers needed are
// those above the longest prefix of the chain that is already published.
//
// A build destroyed before finish() leaves the store as it was: besides
// dropping what it staged, it unpublishes the layers it published itself,
// children first. Nothing else can have come to rely on them: an import
// holds the store's exclusive lock from begin to its metadata transaction,
// and only that transaction makes a layer part of an image. (A killed build
// cannot do this; the complete layers it published stay, are reused by the
// next import of the same chain, and gc removes them if none comes.)
//
// CowStreamBuild does the same for save streams (dockerd://, podman://),
// whose layers are applied as they arrive, before their diff_ids are known:
// each layer is staged on top of the previous one under a temporary name and
// gets its ChainID (name and properties) only when it is committed. This is
// enroot's Plan H without its temporary copy of the archive.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "layer/dir_apply.h"

namespace cairn {

// A layer being built: the backend's handle for it and the directory the
// layer is applied into.
struct StagedLayer {
  std::string handle;
  std::string path;
  std::optional<Digest> parent;  // the published layer it was snapshotted from
};

// What a copy-on-write backend provides to CowChainBuild.
class CowLayers {
 public:
  virtual ~CowLayers() = default;
  // True if the layer CHAIN_ID is published.
  virtual Result<bool> has_layer(const Digest& chain_id) = 0;
  // Creates a writable staging object, named after TAG (a ChainID's hex, or
  // any other word) and a temporary suffix: a snapshot of PARENT's published
  // layer, or an empty object when PARENT is null.
  virtual Result<StagedLayer> stage(const std::string& tag, const Digest* parent) = 0;
  // Seals the staged layer read-only and publishes it as LINK (its ChainID
  // names it; LINK's diff_id and the staged parent are recorded where the
  // backend keeps such things).
  virtual Result<void> publish(const ChainLink& link, const StagedLayer& staged) = 0;
  // Removes a staged layer that will not be published. Best effort: what it
  // leaves behind is removed by the backend's recover().
  virtual void discard(const StagedLayer& staged) = 0;
  // Destroys the published layer CHAIN_ID, which has no children, for a
  // build that published it and is abandoned. Best effort: what it leaves
  // behind is an unreferenced layer that gc removes.
  virtual void unpublish(const Digest& chain_id) = 0;
};

// The layers a build published itself, unpublished (newest first) when it
// is destroyed before keep() was called.
class PublishedLayers {
 public:
  explicit PublishedLayers(CowLayers& layers) : m_layers(layers) {}
  ~PublishedLayers();
  PublishedLayers(const PublishedLayers&) = delete;
  PublishedLayers& operator=(const PublishedLayers&) = delete;

  void add(const Digest& chain_id) { m_published.push_back(chain_id); }
  void keep() { m_published.clear(); }

 private:
  CowLayers& m_layers;
  std::vector<Digest> m_published;
};

// For collect(): LAYERS maps each published ChainID to its parent's (none for
// a base layer or an unknown parent). Returns the layers that no chain in
// KEEP needs (a kept chain needs itself and all its ancestors), children
// before their parents, the order in which they can be destroyed.
std::vector<Digest> unneeded_layers(const std::map<Digest, std::optional<Digest>>& layers,
                                    const std::set<Digest>& keep);

// One layer being applied into a staged copy of its parent: start(), feed
// the sink, then publish() or drop(). Destroying it drops what is staged.
class StagedApply {
 public:
  explicit StagedApply(CowLayers& layers) : m_layers(layers) {}
  ~StagedApply() { drop(); }
  StagedApply(const StagedApply&) = delete;
  StagedApply& operator=(const StagedApply&) = delete;

  bool active() const { return m_staged.has_value(); }
  // Stages a layer named after TAG on PARENT (nullptr: a base layer) and
  // returns the applier writing into it.
  Result<LayerSink*> start(const std::string& tag, const Digest* parent);
  // Publishes the staged layer as LINK; on failure it is dropped.
  Result<void> publish(const ChainLink& link);
  void drop();

 private:
  CowLayers& m_layers;
  std::optional<StagedLayer> m_staged;
  std::unique_ptr<DirApplier> m_applier;
};

class CowChainBuild final : public ChainBuild {
 public:
  static Result<std::unique_ptr<CowChainBuild>> begin(CowLayers& layers,
                                                      std::span<const ChainLink> chain);
  CowChainBuild(CowLayers& layers, std::vector<ChainLink> chain, size_t first_needed)
      : m_published(layers),
        m_layer(layers),
        m_chain(std::move(chain)),
        m_first_needed(first_needed) {}

  bool needs_layer(size_t index) const override { return index >= m_first_needed; }
  Result<LayerSink*> begin_layer(size_t index) override;
  Result<void> commit_layer(size_t index) override;
  Result<void> finish() override;

 private:
  PublishedLayers m_published;  // first: unpublished after m_layer dropped its staging
  StagedApply m_layer;
  std::vector<ChainLink> m_chain;
  size_t m_first_needed;
  size_t m_next = 0;  // the layer begin_layer() expects next
};

class CowStreamBuild final : public StreamBuild {
 public:
  explicit CowStreamBuild(CowLayers& layers)
      : m_layers(layers), m_published(layers), m_layer(layers) {}

  Result<LayerSink*> begin_layer() override;
  // A layer already published under LINK's ChainID (another image has it)
  // is kept, and what was just staged is dropped.
  Result<void> commit_layer(const ChainLink& link) override;
  Result<size_t> finish(std::span<const ChainLink> chain) override;

 private:
  CowLayers& m_layers;
  PublishedLayers m_published;  // before m_layer: unpublished after it dropped its staging
  StagedApply m_layer;
  std::vector<ChainLink> m_committed;
  size_t m_already_held = 0;
};

}  // namespace cairn
