#include "backend/composefs/composefs_backend.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <vector>

#include "backend/composefs/index_sink.h"
#include "backend/composefs/merge.h"
#include "backend/composefs/mount.h"
#include "erofs/writer.h"
#include "util/sys.h"
#include "util/temp_dir.h"

namespace cairn::composefs {
namespace {

constexpr size_t k_max_index_size = size_t{1} << 30;
constexpr std::string_view k_chain_magic = "cairn-composefs-chain 1\n";

Result<void> write_image_file(const erofs::Tree& tree, const std::string& path) {
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open(path, O_WRONLY | O_CREAT | O_EXCL, 0644));
  erofs::FdImageSink sink(fd.get(), path);
  TRY(erofs::write_composefs_image(tree, erofs::WriteOptions{}, sink));
  return sys::fsync(fd.get(), path);
}

// Ingests the layers of one chain whose indexes are missing; see the file
// comment of composefs_backend.h. Every layer's sink (its index in memory,
// its staged objects) is kept until finish() publishes them all.
class ComposefsChainBuild final : public ChainBuild {
 public:
  ComposefsChainBuild(ComposefsBackend& backend, std::vector<ChainLink> chain,
                      std::vector<bool> needed, TempDir staging)
      : m_backend(backend), m_chain(std::move(chain)), m_needed(std::move(needed)),
        m_staging(std::move(staging)) {}

  size_t first_needed() const override {
    for (size_t i = 0; i < m_needed.size(); ++i) {
      if (m_needed[i]) return i;
    }
    return m_needed.size();
  }
  bool needs_layer(size_t index) const override { return m_needed.at(index); }

  Result<LayerSink*> begin_layer(size_t index) override {
    std::string dir = m_staging.path() + "/layer-" + std::to_string(index);
    if (::mkdir(dir.c_str(), 0700) != 0) return fail_errno(errno, "mkdir " + dir);
    m_current = std::make_unique<IndexSink>(m_backend.objects(), dir);
    return m_current.get();
  }

  Result<void> commit_layer(size_t index) override {
    m_done.emplace(m_chain.at(index).diff_id, std::move(m_current));
    return {};
  }

  Result<void> finish() override {
    const Digest& top = m_chain.back().chain_id;
    ASSIGN_OR_RETURN(bool present, m_backend.has_image(top));
    std::string image = m_staging.path() + "/image.cfs";
    if (!present) {
      std::map<Digest, const LayerIndex*> fresh;
      for (const auto& [diff_id, sink] : m_done) fresh.emplace(diff_id, &sink->index());
      ASSIGN_OR_RETURN(erofs::Tree tree, m_backend.merge_chain(m_chain, fresh));
      TRY(write_image_file(tree, image));
    }
    TRY(publish_layers());
    if (!present) TRY(m_backend.publish_image(m_chain, image));
    return {};
  }

 private:
  Result<void> publish_layers() {
    if (m_done.empty()) return {};
    TRY(sys::syncfs_path(m_staging.path()));
    for (auto& [diff_id, sink] : m_done) TRY(sink->publish());
    TRY(sys::syncfs_path(m_staging.path()));
    for (auto& [diff_id, sink] : m_done) {
      TRY(sys::write_file_atomic(m_backend.index_path(diff_id), serialize_index(sink->index())));
    }
    return {};
  }

  ComposefsBackend& m_backend;
  std::vector<ChainLink> m_chain;
  std::vector<bool> m_needed;
  TempDir m_staging;
  std::unique_ptr<IndexSink> m_current;
  std::map<Digest, std::unique_ptr<IndexSink>> m_done;
};

}  // namespace

ComposefsBackend::ComposefsBackend(std::string store_root)
    : m_dir(store_root + "/composefs"),
      m_tmp(store_root + "/tmp"),
      m_mounts(store_root + "/mounts"),
      m_objects(m_dir + "/objects") {}

Result<std::unique_ptr<ComposefsBackend>> ComposefsBackend::open(const std::string& store_root) {
  auto backend = std::make_unique<ComposefsBackend>(store_root);
  for (const char* sub : {"/objects", "/layers", "/images"}) {
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
std::string ComposefsBackend::chain_path(const Digest& top) const {
  return m_dir + "/images/" + std::string(top.hex()) + ".chain";
}

Result<std::unique_ptr<ChainBuild>> ComposefsBackend::begin_build(
    std::span<const ChainLink> chain) {
  if (chain.empty()) return fail(Errc::bad_input, "image has no layers");
  std::vector<bool> needed(chain.size(), false);
  std::set<Digest> claimed;
  for (size_t i = 0; i < chain.size(); ++i) {
    ASSIGN_OR_RETURN(bool indexed, sys::exists(index_path(chain[i].diff_id)));
    needed[i] = !indexed && claimed.insert(chain[i].diff_id).second;
  }
  ASSIGN_OR_RETURN(TempDir staging, TempDir::create(m_tmp, "cfs-build-"));
  return std::make_unique<ComposefsChainBuild>(
      *this, std::vector<ChainLink>(chain.begin(), chain.end()), std::move(needed),
      std::move(staging));
}

Result<erofs::Tree> ComposefsBackend::merge_chain(
    std::span<const ChainLink> chain, const std::map<Digest, const LayerIndex*>& fresh) {
  Merger merger;
  for (const ChainLink& link : chain) {
    std::optional<LayerIndex> loaded;
    const LayerIndex* index = nullptr;
    if (auto it = fresh.find(link.diff_id); it != fresh.end()) {
      index = it->second;
    } else {
      std::string path = index_path(link.diff_id);
      ASSIGN_OR_RETURN(std::string text, sys::read_file(path, k_max_index_size));
      auto parsed = parse_index(text);
      if (!parsed) return fail(std::move(parsed).error().wrap(path));
      index = &loaded.emplace(std::move(*parsed));
    }
    auto applied = merger.apply(*index);
    if (!applied) return fail(std::move(applied).error().wrap("layer " + link.diff_id.str()));
  }
  return merger.build_tree();
}

Result<void> ComposefsBackend::publish_image(std::span<const ChainLink> chain,
                                             const std::string& staged_image) {
  std::string chain_text(k_chain_magic);
  for (const ChainLink& link : chain) chain_text += link.diff_id.str() + "\n";
  const Digest& top = chain.back().chain_id;
  TRY(sys::write_file_atomic(chain_path(top), chain_text));
  TRY(sys::rename(staged_image, image_path(top)));
  return sys::fsync_path(sys::dirname(image_path(top)));
}

Result<bool> ComposefsBackend::has_image(const Digest& top) {
  return sys::exists(image_path(top));
}

Result<std::string> ComposefsBackend::rootfs_path(const Digest& top) {
  return fail(Errc::unsupported, "composefs image " + std::string(top.short_hex()) +
                                     " has no tree on disk; mount it (cairn mount)");
}

Result<std::string> ComposefsBackend::default_mount_point(const Digest& top) {
  return m_mounts + "/" + std::string(top.hex());
}

Result<std::string> ComposefsBackend::mount_image(const Digest& top, const std::string& target) {
  std::string where = target;
  if (where.empty()) {
    ASSIGN_OR_RETURN(where, default_mount_point(top));
  }
  ASSIGN_OR_RETURN(bool present, has_image(top));
  if (!present) return fail(Errc::corrupt_store, "image " + image_path(top) + " is missing");
  TRY(sys::make_dirs(where, 0755));
  ASSIGN_OR_RETURN(bool mounted, is_mount_point(where));
  if (mounted) return where;
  ASSIGN_OR_RETURN(UniqueFd erofs, mount_erofs(image_path(top)));
  TRY(mount_overlay({erofs.get()}, m_objects.dir(), Attach::at_target, where));
  return where;
}

Result<void> ComposefsBackend::unmount(const std::string& path) {
  ASSIGN_OR_RETURN(bool mounted, is_mount_point(path));
  if (!mounted) return fail(Errc::not_found, path + " is not mounted");
  TRY(unmount_path(path));
  if (path.starts_with(m_mounts + "/") && ::rmdir(path.c_str()) != 0 && errno != ENOENT) {
    return fail_errno(errno, "rmdir " + path);
  }
  return {};
}

}  // namespace cairn::composefs
