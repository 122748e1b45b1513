// The hybrid policy (doc/composefs-backend.md, "Hybrid"): a new image stacks
// its layers on a shared flat image of a chain prefix when enough images in
// the store start with that prefix, and flat images built before the prefix
// was shared are re-split onto it. The store's images are known by their
// recipes; chains are compared by ChainID, so equal ChainIDs at one position
// mean the same layers below it.
#include <set>

#include "backend/composefs/composefs_backend.h"
#include "util/sys.h"
#include "util/temp_dir.h"

namespace cairn::composefs {
namespace {

// The longest prefix of CHAIN, of 1 to n-1 layers, that at least
// MIN_IMAGES - 1 of the images in ALL other than CHAIN's own also start with
// (an image whose whole chain is the prefix counts); 0 if none.
size_t shared_prefix(std::span<const ChainLink> chain, std::span<const ImageRecipe> all,
                     size_t min_images) {
  const size_t n = chain.size();
  if (n < 2) return 0;
  std::vector<size_t> sharing(n, 0);  // [p]: images that start with chain[0..p)
  for (const ImageRecipe& other : all) {
    if (other.chain.back().chain_id == chain.back().chain_id) continue;
    for (size_t p = 1; p < n && p <= other.chain.size(); ++p) {
      if (other.chain[p - 1].chain_id != chain[p - 1].chain_id) break;
      ++sharing[p];
    }
  }
  for (size_t p = n - 1; p >= 1; --p) {
    if (sharing[p] + 1 >= min_images) return p;
  }
  return 0;
}

}  // namespace

Result<std::vector<ImageRecipe>> ComposefsBackend::recipes() const {
  ASSIGN_OR_RETURN(auto names, sys::list_directory(images_dir()));
  std::vector<ImageRecipe> all;
  for (const std::string& name : names) {
    if (!name.ends_with(".chain")) continue;
    auto top = Digest::parse("sha256:" + name.substr(0, name.size() - 6));
    if (!top) continue;
    ASSIGN_OR_RETURN(ImageRecipe image, recipe(*top));
    all.push_back(std::move(image));
  }
  return all;
}

Result<size_t> ComposefsBackend::hybrid_prefix(std::span<const ChainLink> chain) const {
  ASSIGN_OR_RETURN(std::vector<ImageRecipe> all, recipes());
  return shared_prefix(chain, all, m_hybrid_min_images);
}

Result<size_t> ComposefsBackend::resplit_flat_images() {
  if (m_mode != Mode::hybrid) return 0;
  ASSIGN_OR_RETURN(std::vector<ImageRecipe> all, recipes());
  // Planned first, so that a flat file some split is about to stack on is
  // kept as it is, whatever order the recipes come in.
  std::vector<ImageRecipe> planned;
  std::set<std::string> prefix_files;
  for (const ImageRecipe& image : all) {
    if (image.mode == Mode::hybrid) prefix_files.insert(erofs_names(image).front());
    if (image.mode != Mode::flat) continue;
    const size_t prefix = shared_prefix(image.chain, all, m_hybrid_min_images);
    if (prefix == 0) continue;
    // The same image (flat_digest is kept, signatures stay valid) on other
    // files; the recipe's rename is the switch, so a kill leaves either.
    planned.push_back(ImageRecipe{Mode::hybrid, image.chain, {}, prefix, image.flat_digest});
    prefix_files.insert(erofs_names(planned.back()).front());
  }
  size_t split = 0;
  for (ImageRecipe& hybrid : planned) {
    const ImageRecipe flat{Mode::flat, hybrid.chain, {}, 0, std::nullopt};
    if (prefix_files.contains(erofs_names(flat).front())) continue;
    ASSIGN_OR_RETURN(TempDir staging, TempDir::create(tmp_dir(), "cfs-split-"));
    ASSIGN_OR_RETURN(StagedBuild build, stage_recipe(std::move(hybrid), {}, staging.path()));
    TRY(publish_image(std::move(build)));
    ++split;
  }
  return split;
}

}  // namespace cairn::composefs
