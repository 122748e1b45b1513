#include "backend/cow_backend.h"

namespace cairn {

Result<std::unique_ptr<ChainBuild>> CowBackend::begin_build(std::span<const ChainLink> chain) {
  ASSIGN_OR_RETURN(auto build, CowChainBuild::begin(*this, chain));
  return std::unique_ptr<ChainBuild>(std::move(build));
}

Result<std::unique_ptr<StreamBuild>> CowBackend::begin_stream_build() {
  CowLayers& layers = *this;  // make_unique cannot see the protected base
  return std::unique_ptr<StreamBuild>(std::make_unique<CowStreamBuild>(layers));
}

Result<std::unique_ptr<LayerContents>> CowBackend::layer_contents(std::span<const ChainLink> chain,
                                                                  size_t index) {
  if (index >= chain.size()) return fail(Errc::usage, "layer index out of range");
  ASSIGN_OR_RETURN(std::string path, rootfs_path(chain[index].chain_id));
  return TreeContents::open_tree(path);
}

}  // namespace cairn
