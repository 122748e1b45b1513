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
std::string ComposefsBackend::images_dir() const { return m_dir + "/images"; }
std::string ComposefsBackend::signature_path(const Digest& top) const {
  return m_dir + "/signatures/" + std::string(top.hex()) + ".sig";
}
std::string ComposefsBackend::chain_path(const Digest& top) const {
  return m_dir + "/images/" + std::string(top.hex()) + ".chain";
}

Result<const LayerIndex*> ComposefsBackend::load_index(
    const ChainLink& link, const std::map<Digest, const LayerIndex*>& fresh,
    std::optional<LayerIndex>& loaded) {
  if (auto it = fresh.find(link.diff_id); it != fresh.end()) return it->second;
  std::string path = index_path(link.diff_id);
  ASSIGN_OR_RETURN(std::string text, sys::read_file(path, k_max_index_size));
  auto parsed = parse_index(text);
  if (!parsed) return fail(std::move(parsed).error().wrap(path));
  return &loaded.emplace(std::move(*parsed));
}

Result<void> ComposefsBackend::remove_layout() { return sys::remove_tree(m_dir); }

Result<void> ComposefsBackend::stage_tree(const Merger& merger, const Merger* lower,
                                          const std::string& staged, const std::string& target,
                                          std::vector<StagedImage>& images) const {
  ASSIGN_OR_RETURN(bool present, sys::exists(target));
  if (present) return {};
  ASSIGN_OR_RETURN(erofs::Tree tree, lower ? merger.build_layer_tree(*lower) : merger.build_tree());
  images.push_back({staged, target});
  return write_image_file(tree, staged);
}

Result<StagedBuild> ComposefsBackend::stage_images(
    std::span<const ChainLink> chain, const std::map<Digest, const LayerIndex*>& fresh,
    const std::string& staging) {
  StagedBuild build{{m_mode == Mode::per_layer ? Mode::per_layer : Mode::flat,
                     std::vector<ChainLink>(chain.begin(), chain.end()), {}, 0},
                    {}};
  if (m_mode == Mode::hybrid) {
    ASSIGN_OR_RETURN(size_t prefix, hybrid_prefix(chain));
    if (prefix > 0) {
      build.recipe.mode = Mode::hybrid;
      build.recipe.prefix = prefix;
    }
  }
  const Mode mode = build.recipe.mode;
  Merger merger;
  std::optional<Merger> prefix_tree;
  for (size_t i = 0; i < chain.size(); ++i) {
    std::optional<LayerIndex> loaded;
    ASSIGN_OR_RETURN(const LayerIndex* index, load_index(chain[i], fresh, loaded));
    if (mode == Mode::hybrid && i == build.recipe.prefix) {
      prefix_tree.emplace(merger.clone());
      TRY(stage_tree(*prefix_tree, nullptr, staging + "/prefix.cfs",
                     image_path(chain[i - 1].chain_id), build.images));
    }
    Merger lower = mode == Mode::per_layer ? merger.clone() : Merger();
    auto applied = merger.apply(*index);
    if (!applied) return fail(std::move(applied).error().wrap("layer " + chain[i].diff_id.str()));
    if (mode != Mode::per_layer) continue;
    TRY(stage_tree(merger, &lower, staging + "/layer-" + std::to_string(i) + ".cfs",
                   layer_image_path(chain[i].chain_id), build.images));
  }
  const Digest& top = chain.back().chain_id;
  if (mode == Mode::flat) {
    TRY(stage_tree(merger, nullptr, staging + "/image.cfs", image_path(top), build.images));
  } else if (mode == Mode::hybrid) {
    TRY(stage_tree(merger, &*prefix_tree, staging + "/diff.cfs", diff_image_path(top),
                   build.images));
  }
  return build;
}

Result<void> ComposefsBackend::publish_image(StagedBuild build) {
  for (const StagedImage& image : build.images) TRY(sys::rename(image.staged, image.target));
  for (const std::string& name : erofs_names(build.recipe)) {
    ASSIGN_OR_RETURN(erofs::VerityDigest digest,
                     erofs::fsverity_digest_file(m_dir + "/images/" + name));
    build.recipe.files.push_back({name, digest});
  }
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
