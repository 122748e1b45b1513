// The hybrid policy (doc/composefs-backend.md, "Modes"): a new image stacks
// its layers on a shared flat image of a chain prefix when enough images in
// the store start with that prefix. The store's images are known by their
// recipes; chains are compared by ChainID, so equal ChainIDs at one position
// mean the same layers below it.
#include "backend/composefs/composefs_backend.h"
#include "util/sys.h"

namespace cairn::composefs {

Result<size_t> ComposefsBackend::hybrid_prefix(std::span<const ChainLink> chain) const {
  const size_t n = chain.size();
  if (n < 2) return 0;
  // sharing[p]: the images, other than this one, that start with chain[0..p).
  std::vector<size_t> sharing(n, 0);
  ASSIGN_OR_RETURN(auto names, sys::list_directory(images_dir()));
  for (const std::string& name : names) {
    if (!name.ends_with(".chain")) continue;
    auto top = Digest::parse("sha256:" + name.substr(0, name.size() - 6));
    if (!top || *top == chain.back().chain_id) continue;
    ASSIGN_OR_RETURN(ImageRecipe other, recipe(*top));
    for (size_t p = 1; p < n && p <= other.chain.size(); ++p) {
      if (other.chain[p - 1].chain_id != chain[p - 1].chain_id) break;
      ++sharing[p];
    }
  }
  for (size_t p = n - 1; p >= 1; --p) {
    if (sharing[p] + 1 >= m_hybrid_min_images) return p;
  }
  return 0;
}

}  // namespace cairn::composefs
