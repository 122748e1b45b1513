// The dir backend: every image is a plain, fully merged directory tree at
// ROOT/dir/images/<top-chain-hex>, for machines without overlayfs, erofs or
// a copy-on-write filesystem, and as the reference the other backends are
// checked against.
//
// Only top chains are kept: an image's tree is built in ROOT/tmp by applying
// all of its layers in order (dir_apply), made durable with one syncfs and
// renamed into place. A second image with the same top chain (the same image
// from another source) reuses the tree without reading a layer; images that
// merely share a base are built separately (no copy-on-write to share with).
// Streaming builds apply each layer as it arrives and name the tree only at
// finish(), when the chain is known.
// See doc/backends.md.
#pragma once

#include <memory>
#include <string>

#include "backend/backend.h"

namespace cairn {

class DirBackend final : public Backend {
 public:
  // ROOT/dir and ROOT/tmp are created if missing.
  static Result<std::unique_ptr<DirBackend>> open(const std::string& store_root);
  explicit DirBackend(std::string store_root) : m_root(std::move(store_root)) {}

  std::string_view name() const override { return "dir"; }
  Result<std::unique_ptr<ChainBuild>> begin_build(std::span<const ChainLink> chain) override;
  Result<std::unique_ptr<StreamBuild>> begin_stream_build() override;
  Result<bool> has_image(const Digest& top) override;
  Result<std::string> rootfs_path(const Digest& top) override;
  // The image's merged tree (see Backend::layer_contents).
  Result<std::unique_ptr<LayerContents>> layer_contents(std::span<const ChainLink> chain,
                                                        size_t index) override;
  ContentsKind contents_kind() const override { return ContentsKind::merged_tree; }
  Result<void> collect(const std::set<Digest>& keep) override;
  Result<void> recover() override;
  Result<void> remove_layout() override;

  // A container is a full copy of the image tree at ROOT/dir/containers/NAME
  // (`cp -a --reflink=auto`: shared extents where the filesystem can, e.g.
  // btrfs or XFS; a plain copy elsewhere, so creating one costs time in
  // proportion to the image size — the chain and composefs backends do not).
  Result<std::string> create_container(const Digest& top, const std::string& name) override;
  Result<void> remove_container(const std::string& name) override;
  Result<std::string> container_path(const std::string& name) override;

  // Where the tree of `top` lives (or would).
  std::string image_path(const Digest& top) const { return image_dir(top); }

 private:
  std::string image_dir(const Digest& top) const;
  std::string images_dir() const;
  std::string tmp_dir() const;
  std::string containers_dir() const;

  std::string m_root;
};

}  // namespace cairn
