// What the btrfs and zfs backends have in common above their CowLayers:
// builds are CowChainBuild / CowStreamBuild over the backend's own layers,
// and an image is its top layer (backend/cow_chain.h has the scheme).
#pragma once

#include <memory>
#include <span>

#include "backend/backend.h"
#include "backend/cow_chain.h"

namespace cairn {

class CowBackend : public Backend, protected CowLayers {
 public:
  Result<std::unique_ptr<ChainBuild>> begin_build(std::span<const ChainLink> chain) final;
  Result<std::unique_ptr<StreamBuild>> begin_stream_build() final;
  // True if the top layer TOP is published.
  Result<bool> has_image(const Digest& top) final { return has_layer(top); }
  // The layer's own snapshot (its ChainID): the tree right after the layer.
  Result<std::unique_ptr<LayerContents>> layer_contents(std::span<const ChainLink> chain,
                                                        size_t index) final;
  ContentsKind contents_kind() const final { return ContentsKind::layer_tree; }
};

}  // namespace cairn
