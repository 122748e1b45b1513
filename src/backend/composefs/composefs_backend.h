// The composefs backend (doc/composefs-backend.md):
//
//   ROOT/composefs/objects/XX/YYYY…      file contents by fs-verity digest
//   ROOT/composefs/layers/<diffid>.index  one immutable index per layer
//   ROOT/composefs/images/<top>.cfs       the flattened EROFS image
//   ROOT/composefs/images/<top>.chain     the diff_ids it was built from
//   ROOT/mounts/<top>/                    default mount point
//
// Layers are independent: a layer whose index exists is never read again,
// whatever image or position it appears in. An image is built in finish()
// from the indexes of its chain (merge.h) and written with the composefs
// image writer; mount_image() mounts it with overlayfs over the object store.
//
// Durability and atomicity: nothing a build stages is visible before
// finish(), which merges the image first (so a chain the merge refuses, e.g.
// a path through an absolute symlink, leaves nothing behind), then syncs,
// moves the new objects into the store, syncs again, and publishes the layer
// indexes, the chain file and the image, in that order. A crash leaves at
// most unreferenced objects or indexes, which gc removes.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "backend/backend.h"
#include "backend/composefs/layer_index.h"
#include "backend/composefs/object_store.h"
#include "erofs/tree.h"

namespace cairn::composefs {

class ComposefsBackend final : public Backend {
 public:
  // Creates the directories above if missing.
  static Result<std::unique_ptr<ComposefsBackend>> open(const std::string& store_root);
  explicit ComposefsBackend(std::string store_root);

  std::string_view name() const override { return "composefs"; }
  Result<std::unique_ptr<ChainBuild>> begin_build(std::span<const ChainLink> chain) override;
  Result<bool> has_image(const Digest& top) override;
  // Errc::unsupported: the image is a tree only once mounted.
  Result<std::string> rootfs_path(const Digest& top) override;
  Result<std::string> mount_image(const Digest& top, const std::string& target) override;
  Result<std::string> default_mount_point(const Digest& top) override;
  Result<void> unmount(const std::string& path) override;
  Result<void> collect(const std::set<Digest>& keep) override;
  Result<void> recover() override { return {}; }

  ObjectStore& objects() { return m_objects; }
  std::string index_path(const Digest& diff_id) const;
  std::string image_path(const Digest& top) const;
  std::string chain_path(const Digest& top) const;
  const std::string& tmp_dir() const { return m_tmp; }
  // Merges the indexes of CHAIN into one tree: from FRESH where it has the
  // layer (a build's indexes, not yet published), else from disk.
  Result<erofs::Tree> merge_chain(std::span<const ChainLink> chain,
                                  const std::map<Digest, const LayerIndex*>& fresh);
  // Writes CHAIN's chain file, then renames STAGED_IMAGE (durable, same
  // filesystem) into place as its image.
  Result<void> publish_image(std::span<const ChainLink> chain, const std::string& staged_image);

 private:
  Result<void> collect_images(const std::set<Digest>& keep, std::set<Digest>& live_layers);
  Result<void> collect_layers(const std::set<Digest>& live_layers,
                              std::set<erofs::VerityDigest>& live_objects);

  std::string m_dir;  // ROOT/composefs
  std::string m_tmp;
  std::string m_mounts;
  ObjectStore m_objects;
};

}  // namespace cairn::composefs
