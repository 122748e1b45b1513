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

// Ingests the layers of one chain whose indexes are missing; see the file
// comment of composefs_backend.h.
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
    m_sink = std::make_unique<IndexSink>(m_backend.objects(), dir);
    return m_sink.get();
  }

  Result<void> commit_layer(size_t index) override {
    TRY(m_sink->publish());
    m_indexes.emplace_back(m_chain.at(index).diff_id, serialize_index(m_sink->index()));
    m_sink.reset();
    return {};
  }

  Result<void> finish() override {
    if (!m_indexes.empty()) {
      TRY(sys::syncfs_path(m_staging.path()));
      for (const auto& [diff_id, text] : m_indexes) {
        TRY(sys::write_file_atomic(m_backend.index_path(diff_id), text));
      }
    }
    ASSIGN_OR_RETURN(bool present, m_backend.has_image(m_chain.back().chain_id));
    if (!present) TRY(m_backend.build_image(m_chain));
    return {};
  }

 private:
  ComposefsBackend& m_backend;
  std::vector<ChainLink> m_chain;
  std::vector<bool> m_needed;
  TempDir m_staging;
  std::unique_ptr<IndexSink> m_sink;
  std::vector<std::pair<Digest, std::string>> m_indexes;
};

Result<void> write_image_file(const erofs::Tree& tree, const std::string& tmp_dir,
                              const std::string& target) {
  ASSIGN_OR_RETURN(TempDir staging, TempDir::create(tmp_dir, "cfs-image-"));
  std::string path = staging.path() + "/image.cfs";
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open(path, O_WRONLY | O_CREAT | O_EXCL, 0644));
  erofs::FdImageSink sink(fd.get(), path);
  TRY(erofs::write_composefs_image(tree, erofs::WriteOptions{}, sink));
  TRY(sys::fsync(fd.get(), path));
  TRY(sys::rename(path, target));
  return sys::fsync_path(sys::dirname(target));
}

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

Result<void> ComposefsBackend::build_image(std::span<const ChainLink> chain) {
  Merger merger;
  std::string chain_text(k_chain_magic);
  for (const ChainLink& link : chain) {
    ASSIGN_OR_RETURN(std::string text, sys::read_file(index_path(link.diff_id), k_max_index_size));
    auto index = parse_index(text);
    if (!index) return fail(std::move(index).error().wrap(index_path(link.diff_id)));
    auto applied = merger.apply(*index);
    if (!applied) {
      return fail(std::move(applied).error().wrap("layer " + std::string(link.diff_id.str())));
    }
    chain_text += link.diff_id.str() + "\n";
  }
  ASSIGN_OR_RETURN(erofs::Tree tree, merger.build_tree());
  const Digest& top = chain.back().chain_id;
  TRY(sys::write_file_atomic(chain_path(top), chain_text));
  return write_image_file(tree, m_tmp, image_path(top));
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
