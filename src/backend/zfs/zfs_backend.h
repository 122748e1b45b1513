// The zfs backend: per-layer copy-on-write chains of ZFS datasets
// (backend/cow_chain.h has the scheme), driven through the `zfs` command
// (native ZFS or zfs-fuse). The store root must be the mountpoint of a ZFS
// dataset DATASET (like enroot's ENROOT_DATA_PATH); cairn.db and the lock
// live in that directory, layers and containers in child datasets:
//
//   DATASET/layers/<chainid-hex>         one layer, read-only, with @done
//   DATASET/layers/<hex>.tmp-<pid>       a layer being built
//   DATASET/containers/<name>            writable clone of an image's @done
//
// A layer is `zfs clone PARENT@done` (`zfs create` for a base layer), the
// layer applied into its mountpoint, then `zfs snapshot …@done`,
// `zfs set readonly=on`, and `zfs rename` to its ChainID (with an unmount
// around it: zfs-fuse refuses to rename a mounted dataset). Each layer dataset
// carries the user properties cairn:chainid, cairn:diffid and (unless it is a
// base) cairn:parent, so that the datasets describe themselves: recover()
// destroys temporaries and layers without @done and remounts published ones;
// collect() orders destruction children first (ZFS refuses to destroy a
// snapshot that has clones).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend/cow_backend.h"

namespace cairn {

class ZfsBackend final : public CowBackend {
  struct Token {};

 public:
  // Errc::unsupported unless ROOT is the mountpoint of a ZFS dataset;
  // creates DATASET/layers and DATASET/containers if missing.
  static Result<std::unique_ptr<ZfsBackend>> open(const std::string& store_root);
  // True if ROOT is the mountpoint of a ZFS dataset (false too when there is no zfs command).
  static bool serves(const std::string& store_root);
  ZfsBackend(Token, std::string dataset) : m_dataset(std::move(dataset)) {}

  std::string_view name() const override { return "zfs"; }
  Result<std::string> rootfs_path(const Digest& top) override;
  Result<void> collect(const std::set<Digest>& keep) override;
  Result<void> recover() override;
  Result<std::vector<std::string>> unfinished() override;
  Result<void> remove_layout() override;

  Result<std::string> create_container(const Digest& top, const std::string& name) override;
  Result<void> remove_container(const std::string& name) override;
  Result<std::string> container_path(const std::string& name) override;

  // used_bytes, referenced_bytes: `zfs get -p used,referenced` of the image's
  // top layer dataset (used: what that dataset alone holds, its clone origins
  // are charged to them; referenced: everything it shows, shared blocks
  // included) or, for the total, of DATASET (everything cairn stores).
  Result<std::vector<UsageItem>> image_usage(const Digest& top) override;
  Result<std::vector<UsageItem>> total_usage() override;

  const std::string& dataset() const { return m_dataset; }

 private:
  Result<bool> has_layer(const Digest& chain_id) override;
  Result<StagedLayer> stage(const std::string& tag, const Digest* parent) override;
  Result<void> publish(const ChainLink& link, const StagedLayer& staged) override;
  void discard(const StagedLayer& staged) override;
  void unpublish(const Digest& chain_id) override;

  std::string layer_dataset(const Digest& chain_id) const;
  std::string container_dataset(const std::string& name) const;
  // The dataset's mountpoint, mounting it first if it is not mounted.
  Result<std::string> mounted_path(const std::string& dataset);
  // Published layers: ChainID -> parent ChainID.
  Result<std::map<Digest, std::optional<Digest>>> list_layers();
  // Every layer and container dataset (no snapshots); unfinished: a
  // temporary or a layer without @done, which recover() destroys.
  struct Dataset {
    std::string name;
    bool unfinished = false;
    bool mounted = false;
  };
  Result<std::vector<Dataset>> datasets();

  std::string m_dataset;
};

}  // namespace cairn
