// The composefs backend (doc/composefs-backend.md):
//
//   ROOT/composefs/objects/XX/YYYY…      file contents by fs-verity digest
//   ROOT/composefs/layers/<diffid>.index  one immutable index per layer
//   ROOT/composefs/images/<top>.cfs       the flattened EROFS image (flat)
//   ROOT/composefs/images/<chain>.layer.cfs  one layer's EROFS (per-layer)
//   ROOT/composefs/images/<top>.diff.cfs  the layers above a shared flat
//                                         prefix <chain>.cfs (hybrid)
//   ROOT/composefs/images/<top>.chain     how the image was built
//                                         (image_recipe.h; written last)
//   ROOT/composefs/containers/<name>/     a container: upper/, work/, image
//   ROOT/mounts/<top>/                    default mount point
//   ROOT/mounts/containers/<name>/        default mount point of a container
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

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "backend/backend.h"
#include "backend/composefs/image_recipe.h"
#include "backend/composefs/layer_index.h"
#include "backend/composefs/mount.h"
#include "backend/composefs/object_store.h"
#include "erofs/tree.h"

namespace cairn::composefs {

class Merger;

// Where a build's layer indexes are staged (IndexSink::staged_index()), by
// diff_id, before they are published.
using FreshIndexes = std::map<Digest, std::string>;

// An image file written to staging, and where it goes once published.
struct StagedImage {
  std::string staged;
  std::string target;
};

// What a build publishes: the recipe (its files not yet digested) and the
// image files staged for it.
struct StagedBuild {
  ImageRecipe recipe;
  std::vector<StagedImage> images;
};

// What the layer indexes of an image give, written to no file: the digest of
// every EROFS file its recipe names (bottom first, as erofs_names() lists
// them) and of the flat image of its whole chain.
struct DerivedDigests {
  std::vector<ErofsFile> files;
  erofs::VerityDigest flat;
};

// Default of the store setting composefs.hybrid_min_images: a chain prefix
// gets its own flat image in hybrid mode once this many images start with it.
constexpr size_t k_default_hybrid_min_images = 2;

class ComposefsBackend final : public Backend, public ImageIntegrity {
 public:
  // Creates the directories above if missing. MODE: how new images are
  // built (existing ones are mounted as their recipe says; in hybrid mode
  // earlier flat images are re-split, resplit_flat_images()). HYBRID_MIN_IMAGES
  // (>= 1, hybrid mode): how many images must share a prefix for it to get
  // its own image (the new one included).
  static Result<std::unique_ptr<ComposefsBackend>> open(
      const std::string& store_root, Mode mode = Mode::flat,
      size_t hybrid_min_images = k_default_hybrid_min_images);
  ComposefsBackend(std::string store_root, Mode mode, size_t hybrid_min_images);

  std::string_view name() const override { return "composefs"; }
  // composefs_builds.cc. Streams need no spooling: layers are independent.
  Result<std::unique_ptr<ChainBuild>> begin_build(std::span<const ChainLink> chain) override;
  Result<std::unique_ptr<StreamBuild>> begin_stream_build() override;
  Result<bool> has_image(const Digest& top) override;
  // Errc::unsupported: the image is a tree only once mounted.
  Result<std::string> rootfs_path(const Digest& top) override;
  Result<std::string> mount_image(const Digest& top, const std::string& target) override;
  Result<std::string> default_mount_point(const Digest& top) override;
  Result<void> unmount(const std::string& path) override;
  ImageIntegrity* integrity() override { return this; }
  // integrity.h's image_digest().
  Result<std::string> image_digest(const Digest& top) override;
  // integrity.h's verify() of the image, then its digest.
  Result<void> verify_image_digest(const Digest& top, std::string_view expected) override;
  // integrity.h's verify().
  Result<IntegrityReport> verify(const std::optional<Digest>& top) override;
  // From the layer's index and the object store (layer_contents.cc).
  Result<std::unique_ptr<LayerContents>> layer_contents(std::span<const ChainLink> chain,
                                                        size_t index) override;
  Result<void> collect(const std::set<Digest>& keep) override;
  Result<void> recover() override { return {}; }
  Result<void> remove_layout() override;

  // Containers (composefs_containers.cc): an overlay upper and work
  // directory over the image's read-only stack, created empty (no copying);
  // the writable root exists only while mount_container() has it mounted.
  // container_path() is the container's directory (upper/, work/, image).
  Result<std::string> create_container(const Digest& top, const std::string& name) override;
  // Unmounts the container wherever it is mounted, then deletes it.
  Result<void> remove_container(const std::string& name) override;
  Result<std::string> container_path(const std::string& name) override;
  // Errc::busy if mounted elsewhere than TARGET (an empty TARGET accepts
  // wherever it is mounted).
  Result<std::string> mount_container(const std::string& name, const std::string& target) override;
  Result<std::string> container_mount_point(const std::string& name) override;
  // Disk usage (composefs_usage.cc): object_bytes, erofs_bytes, index_bytes
  // (and for the total container_bytes: the containers' upper trees).
  Result<std::vector<UsageItem>> image_usage(const Digest& top) override;
  Result<std::vector<UsageItem>> total_usage() override;

  // Names of the containers present, and the top chain of one's image.
  Result<std::vector<std::string>> container_names() const;
  Result<Digest> container_image(const std::string& name) const;

  ObjectStore& objects() { return m_objects; }
  std::string index_path(const Digest& diff_id) const;
  std::string image_path(const Digest& top) const;
  std::string layer_image_path(const Digest& chain_id) const;
  std::string diff_image_path(const Digest& top) const;
  std::string chain_path(const Digest& top) const;
  std::string images_dir() const;
  std::string signature_path(const Digest& top) const override;
  // The EROFS files (names in images_dir()) IMAGE mounts, bottom first.
  std::vector<std::string> erofs_names(const ImageRecipe& image) const;
  const std::string& tmp_dir() const { return m_tmp; }
  // Merges the indexes of CHAIN (from FRESH where it has the layer: a
  // build's indexes, not yet published; else from disk) and writes the
  // EROFS images the mode needs that do not exist yet into STAGING (durable).
  // In hybrid mode the recipe is hybrid (hybrid_prefix() found a prefix) or
  // flat.
  Result<StagedBuild> stage_images(std::span<const ChainLink> chain, const FreshIndexes& fresh,
                                   const std::string& staging);
  // Renames the staged images into place, then writes the recipe with the
  // digests of its files (the commit point).
  Result<void> publish_image(StagedBuild build);
  // Hybrid policy (composefs_hybrid.cc): the longest prefix of CHAIN, 1 to
  // size-1 layers, that at least hybrid_min_images - 1 images in the store
  // (their recipes) also start with; 0 if there is none.
  Result<size_t> hybrid_prefix(std::span<const ChainLink> chain) const;
  // In hybrid mode, after an image was published: every flat image whose
  // chain now has such a shared prefix is rebuilt as a hybrid one (same
  // image digest), unless its flat file is a hybrid image's prefix, or is
  // about to be one of an image split in the same pass.
  // The flat file it leaves is gc's to remove. Returns how many were split.
  Result<size_t> resplit_flat_images();
  Result<ImageRecipe> recipe(const Digest& top) const;
  // Rebuilds, from the layer indexes on disk, the digests RECIPE's files and
  // its image digest must have (integrity.h compares them with the files).
  Result<DerivedDigests> derive_digests(const ImageRecipe& recipe);

 private:
  // The layer index of DIFF_ID as the store has it.
  Result<LayerIndex> read_index(const Digest& diff_id) const;
  // The text of LINK's index: FRESH's staged one if it has the layer, else
  // the store's.
  Result<std::string> index_text(const ChainLink& link, const FreshIndexes& fresh) const;
  // Mounts the image's read-only layers (detached) for an overlay on top:
  // topmost first. One EROFS mount (DATA_DIR = the object store) for a flat
  // or one-layer image, else one overlay per layer (DATA_DIR empty).
  Result<std::vector<UniqueFd>> mount_lowers(const Digest& top, std::string& data_dir);
  Result<void> mount_stack(const Digest& top, const std::string& where,
                           const std::optional<WritableLayer>& writable);
  Result<void> collect_images(const std::set<Digest>& keep, std::set<Digest>& live_layers);
  Result<void> collect_layers(const std::set<Digest>& live_layers,
                              std::set<erofs::VerityDigest>& live_objects);

  // A function that builds one EROFS image's tree; called at most once.
  using TreeMaker = std::function<Result<erofs::Tree>()>;
  // Called for each EROFS file of a recipe, by name, bottom first.
  using EmitImage = std::function<Result<void>(const std::string& name, const TreeMaker& make)>;
  // Merges the indexes of RECIPE's chain (from FRESH where it has the layer,
  // else from disk), calling EMIT for every EROFS file the recipe's mode
  // mounts; returns the merge of the whole chain, except in flat mode, whose
  // image consumes it.
  Result<std::optional<Merger>> walk_images(const ImageRecipe& recipe, const FreshIndexes& fresh,
                                            const EmitImage& emit);
  // Like stage_images() for a recipe already decided; its flat_digest, when
  // set, is taken as it is.
  Result<StagedBuild> stage_recipe(ImageRecipe recipe, const FreshIndexes& fresh,
                                   const std::string& staging);
  // The recipes of every image in the store.
  Result<std::vector<ImageRecipe>> recipes() const;
  // The fs-verity digest of the flat image of MERGED, written to no file.
  static Result<erofs::VerityDigest> flat_digest(Merger merged);

  Mode m_mode;
  size_t m_hybrid_min_images;
  std::string m_dir;  // ROOT/composefs
  std::string m_tmp;
  std::string m_mounts;
  std::string m_containers;  // ROOT/composefs/containers
  ObjectStore m_objects;
};

}  // namespace cairn::composefs
