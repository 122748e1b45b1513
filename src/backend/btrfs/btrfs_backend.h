// The btrfs backend: per-layer copy-on-write chains of btrfs subvolumes
// (backend/cow_chain.h has the scheme). The store root may be any directory
// on a btrfs filesystem:
//
//   ROOT/btrfs/layers/<chainid-hex>        read-only subvolume of one layer
//   ROOT/btrfs/layers/.tmp-<hex>.<pid>.<r> a layer being built
//   ROOT/btrfs/containers/<name>           writable snapshot of an image
//
// A layer is a writable snapshot of its parent's subvolume (a new empty
// subvolume for the base), the layer applied into it, then flagged
// BTRFS_SUBVOL_RDONLY, synced and renamed to its ChainID. Staging happens in
// layers/ itself because btrfs refuses to move a read-only subvolume to
// another directory (the rename would rewrite its ".."). recover() destroys
// every .tmp-* subvolume. A layer's parent is found through the subvolume's
// parent UUID (set by the snapshot), so collect() needs no extra state.
#pragma once

#include <memory>
#include <string>

#include "backend/cow_backend.h"
#include "util/unique_fd.h"

namespace cairn {

class BtrfsBackend final : public CowBackend {
  struct Token {};

 public:
  // Errc::unsupported unless ROOT is on btrfs; creates ROOT/btrfs/… if missing.
  static Result<std::unique_ptr<BtrfsBackend>> open(const std::string& store_root);
  BtrfsBackend(Token, std::string root, UniqueFd layers, UniqueFd containers);

  std::string_view name() const override { return "btrfs"; }
  Result<std::string> rootfs_path(const Digest& top) override;
  Result<void> collect(const std::set<Digest>& keep) override;
  Result<void> recover() override;
  Result<std::vector<std::string>> unfinished() override;
  Result<void> remove_layout() override;

  // From `btrfs filesystem du -s --raw` (btrfs_usage.cc): referenced bytes,
  // and of those the bytes no other layer shares (exclusive) and the bytes
  // shared within the measured set; for the total, used = exclusive +
  // shared is what the layers take on disk.
  Result<std::vector<UsageItem>> image_usage(const Digest& top) override;
  Result<std::vector<UsageItem>> total_usage() override;

  Result<std::string> create_container(const Digest& top, const std::string& name) override;
  Result<void> remove_container(const std::string& name) override;
  Result<std::string> container_path(const std::string& name) override;

 private:
  Result<bool> has_layer(const Digest& chain_id) override;
  Result<StagedLayer> stage(const std::string& tag, const Digest* parent) override;
  Result<void> publish(const ChainLink& link, const StagedLayer& staged) override;
  void discard(const StagedLayer& staged) override;
  void unpublish(const Digest& chain_id) override;

  std::string layers_dir() const { return m_root + "/btrfs/layers"; }
  std::string containers_dir() const { return m_root + "/btrfs/containers"; }

  std::string m_root;
  UniqueFd m_layers;
  UniqueFd m_containers;
};

}  // namespace cairn
