#include "backend/composefs/composefs_backend.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <optional>
#include <vector>

#include "backend/composefs/merge.h"
#include "erofs/writer.h"
#include "util/sys.h"

namespace cairn::composefs {
namespace {

constexpr size_t k_max_index_size = size_t{1} << 30;

Result<void> write_image_file(const erofs::Tree& tree, const std::string& path) {
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open(path, O_WRONLY | O_CREAT | O_EXCL, 0644));
  erofs::FdImageSink sink(fd.get(), path);
  TRY(erofs::write_composefs_image(tree, erofs::WriteOptions{}, sink));
  return sys::fsync(fd.get(), path);
}

}  // namespace

ComposefsBackend::ComposefsBackend(std::string store_root, Mode mode, size_t hybrid_min_images)
    : m_mode(mode),
      m_hybrid_min_images(hybrid_min_images),
      m_dir(store_root + "/composefs"),
      m_tmp(store_root + "/tmp"),
      m_mounts(store_root + "/mounts"),
      m_containers(m_dir + "/containers"),
      m_objects(m_dir + "/objects") {}

Result<std::unique_ptr<ComposefsBackend>> ComposefsBackend::open(const std::string& store_root,
                                                                 Mode mode,
                                                                 size_t hybrid_min_images) {
  if (hybrid_min_images == 0) return fail(Errc::usage, "composefs hybrid_min_images must be >= 1");
  auto backend = std::make_unique<ComposefsBackend>(store_root, mode, hybrid_min_images);
  for (const char* sub : {"/objects", "/layers", "/images", "/containers", "/signatures"}) {
    TRY(sys::make_dirs(backend->m_dir + sub, 0700));
  }
  TRY(sys::make_dirs(backend->m_tmp, 0700));
  return backend;
}

std::string ComposefsBackend::index_path(const Digest& diff_id) const {
  return m_dir + "/layers/" + std::string(diff_id.hex()) + ".index";
}
std::string ComposefsBackend::image_path(const Digest& top) const {
  return m_dir + "/images/" + std::string(top.hex()) + ".cfs";
}
std::string ComposefsBackend::layer_image_path(const Digest& chain_id) const {
  return m_dir + "/images/" + std::string(chain_id.hex()) + ".layer.cfs";
}
std::string ComposefsBackend::diff_image_path(const Digest& top) const {
  return m_dir + "/images/" + std::string(top.hex()) + ".diff.cfs";
}
std::vector<std::string> ComposefsBackend::erofs_names(const ImageRecipe& image) const {
  const std::string top(image.chain.back().chain_id.hex());
  if (image.mode == Mode::flat) return {top + ".cfs"};
  if (image.mode == Mode::hybrid) {
    return {std::string(image.chain.at(image.prefix - 1).chain_id.hex()) + ".cfs",
            top + ".diff.cfs"};
  }
  std::vector<std::string> names;
  for (const ChainLink& link : image.chain) {
    names.push_back(std::string(link.chain_id.hex()) + ".layer.cfs");
  }
  return names;
}
std::string ComposefsBackend::images_dir() const {
  return m_dir + "/images";
}
std::string ComposefsBackend::signature_path(const Digest& top) const {
  return m_dir + "/signatures/" + std::string(top.hex()) + ".sig";
}
std::string ComposefsBackend::chain_path(const Digest& top) const {
  return m_dir + "/images/" + std::string(top.hex()) + ".chain";
}

Result<LayerIndex> ComposefsBackend::read_index(const Digest& diff_id) const {
  std::string path = index_path(diff_id);
  ASSIGN_OR_RETURN(std::string text, sys::read_file(path, k_max_index_size));
  auto parsed = parse_index(text);
  if (!parsed) return fail(std::move(parsed).error().wrap(path));
  return parsed;
}

Result<std::string> ComposefsBackend::index_text(const ChainLink& link,
                                                 const FreshIndexes& fresh) const {
  auto it = fresh.find(link.diff_id);
  return sys::read_file(it != fresh.end() ? it->second : index_path(link.diff_id),
                        k_max_index_size);
}

Result<void> ComposefsBackend::remove_layout() {
  return sys::remove_tree(m_dir);
}

Result<std::optional<Merger>> ComposefsBackend::walk_images(const ImageRecipe& recipe,
                                                            const FreshIndexes& fresh,
                                                            const EmitImage& emit) {
  const std::span<const ChainLink> chain = recipe.chain;
  const std::vector<std::string> names = erofs_names(recipe);
  Merger merger;
  std::optional<Merger> prefix_tree;
  for (size_t i = 0; i < chain.size(); ++i) {
    ASSIGN_OR_RETURN(const std::string index, index_text(chain[i], fresh));
    if (recipe.mode == Mode::hybrid && i == recipe.prefix) {
      prefix_tree.emplace(merger.clone());
      TRY(emit(names.front(), [&] { return prefix_tree->build_tree(); }));
    }
    Merger lower = recipe.mode == Mode::per_layer ? merger.clone() : Merger();
    auto applied = merger.apply_text(index);
    if (!applied) {
      return fail(std::move(applied).error().wrap("layer " + chain[i].diff_id.str()));
    }
    if (recipe.mode != Mode::per_layer) continue;
    TRY(emit(names[i], [&] { return merger.build_layer_tree(lower); }));
  }
  if (recipe.mode == Mode::flat) {
    TRY(emit(names.front(), [&] { return std::move(merger).take_tree(); }));
    return std::nullopt;
  }
  if (recipe.mode == Mode::hybrid) {
    TRY(emit(names.back(), [&] { return merger.build_layer_tree(*prefix_tree); }));
  }
  return std::optional<Merger>(std::move(merger));
}

Result<StagedBuild> ComposefsBackend::stage_images(std::span<const ChainLink> chain,
                                                   const FreshIndexes& fresh,
                                                   const std::string& staging) {
  ImageRecipe recipe{m_mode == Mode::per_layer ? Mode::per_layer : Mode::flat,
                     std::vector<ChainLink>(chain.begin(), chain.end()),
                     {},
                     0,
                     std::nullopt};
  if (m_mode == Mode::hybrid) {
    ASSIGN_OR_RETURN(size_t prefix, hybrid_prefix(chain));
    if (prefix > 0) {
      recipe.mode = Mode::hybrid;
      recipe.prefix = prefix;
    }
  }
  return stage_recipe(std::move(recipe), fresh, staging);
}

Result<StagedBuild> ComposefsBackend::stage_recipe(ImageRecipe recipe, const FreshIndexes& fresh,
                                                   const std::string& staging) {
  StagedBuild build{std::move(recipe), {}};
  auto stage = [&](const std::string& name, const TreeMaker& make) -> Result<void> {
    const std::string target = images_dir() + "/" + name;
    ASSIGN_OR_RETURN(bool present, sys::exists(target));
    if (present) return {};  // a shared prefix or layer image another image published
    ASSIGN_OR_RETURN(erofs::Tree tree, make());
    build.images.push_back({staging + "/" + name, target});
    return write_image_file(tree, build.images.back().staged);
  };
  ASSIGN_OR_RETURN(std::optional<Merger> merged, walk_images(build.recipe, fresh, stage));
  if (merged && !build.recipe.flat_digest) {
    // The image's identity is the flat image's digest, whatever files it mounts.
    ASSIGN_OR_RETURN(build.recipe.flat_digest, flat_digest(std::move(*merged)));
  }
  return build;
}

Result<erofs::VerityDigest> ComposefsBackend::flat_digest(Merger merged) {
  ASSIGN_OR_RETURN(erofs::Tree tree, std::move(merged).take_tree());
  erofs::NullImageSink sink;
  ASSIGN_OR_RETURN(erofs::ImageInfo info,
                   erofs::write_composefs_image(tree, erofs::WriteOptions{}, sink));
  return info.fsverity_digest;
}

Result<DerivedDigests> ComposefsBackend::derive_digests(const ImageRecipe& recipe) {
  DerivedDigests derived;
  auto digest_of = [&](const std::string& name, const TreeMaker& make) -> Result<void> {
    ASSIGN_OR_RETURN(erofs::Tree tree, make());
    erofs::NullImageSink sink;
    ASSIGN_OR_RETURN(erofs::ImageInfo info,
                     erofs::write_composefs_image(tree, erofs::WriteOptions{}, sink));
    derived.files.push_back({name, info.fsverity_digest});
    return {};
  };
  ASSIGN_OR_RETURN(std::optional<Merger> merged, walk_images(recipe, {}, digest_of));
  if (merged) {
    ASSIGN_OR_RETURN(derived.flat, flat_digest(std::move(*merged)));
  } else {
    derived.flat = derived.files.front().digest;
  }
  return derived;
}

Result<void> ComposefsBackend::publish_image(StagedBuild build) {
  for (const StagedImage& image : build.images) TRY(sys::rename(image.staged, image.target));
  for (const std::string& name : erofs_names(build.recipe)) {
    ASSIGN_OR_RETURN(erofs::VerityDigest digest,
                     erofs::fsverity_digest_file(m_dir + "/images/" + name));
    build.recipe.files.push_back({name, digest});
  }
  if (build.recipe.mode == Mode::flat) build.recipe.flat_digest = build.recipe.files.front().digest;
  return sys::write_file_atomic(chain_path(build.recipe.chain.back().chain_id),
                                serialize_recipe(build.recipe));
}

Result<ImageRecipe> ComposefsBackend::recipe(const Digest& top) const {
  ASSIGN_OR_RETURN(std::string text, sys::read_file(chain_path(top)));
  auto parsed = parse_recipe(text);
  if (!parsed) return fail(std::move(parsed).error().wrap(chain_path(top)));
  return *parsed;
}

Result<bool> ComposefsBackend::has_image(const Digest& top) {
  return sys::exists(chain_path(top));
}

Result<std::string> ComposefsBackend::rootfs_path(const Digest& top) {
  return fail(Errc::unsupported, "composefs image " + std::string(top.short_hex()) +
                                     " has no tree on disk; mount it (cairn mount)");
}

}  // namespace cairn::composefs
