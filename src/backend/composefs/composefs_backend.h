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
// Durability: a layer's objects are synced (one syncfs) and moved into the
// store in commit_layer(); finish() syncs again, then publishes the indexes,
// then the image. A crash leaves at most unreferenced objects, which gc
// removes.
#pragma once

#include <memory>
#include <string>

#include "backend/backend.h"
#include "backend/composefs/object_store.h"

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
  // Merges the indexes of CHAIN and writes its image and chain file.
  Result<void> build_image(std::span<const ChainLink> chain);

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
