#include "backend/dir/dir_backend.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>

#include "layer/dir_apply.h"
#include "oci/chain_id.h"
#include "util/command.h"
#include "util/sys.h"
#include "util/temp_dir.h"

namespace cairn {
namespace {

// Builds one image tree in a staging directory; see the file comment of
// dir_backend.h for the protocol.
class DirChainBuild final : public ChainBuild {
 public:
  DirChainBuild(TempDir staging, std::string target, size_t first_needed)
      : m_staging(std::move(staging)), m_target(std::move(target)), m_first_needed(first_needed) {}

  bool needs_layer(size_t index) const override { return index >= m_first_needed; }

  Result<LayerSink*> begin_layer(size_t) override {
    m_applier.reset();
    ASSIGN_OR_RETURN(m_applier, DirApplier::open(rootfs()));
    return m_applier.get();
  }

  Result<void> commit_layer(size_t) override {
    m_applier.reset();
    return {};
  }

  Result<void> finish() override {
    if (m_first_needed == 0) {
      TRY(sys::syncfs_path(m_staging.path()));
      TRY(sys::rename(rootfs(), m_target));
      TRY(sys::fsync_path(sys::dirname(m_target)));
    }
    return {};
  }

  Result<void> prepare() {
    if (::mkdir(rootfs().c_str(), 0755) != 0) return fail_errno(errno, "mkdir " + rootfs());
    return {};
  }

 private:
  std::string rootfs() const { return m_staging.path() + "/rootfs"; }

  TempDir m_staging;
  std::string m_target;
  size_t m_first_needed;
  std::unique_ptr<DirApplier> m_applier;
};

// A streaming build: layers are applied into ROOT/tmp as they come; the
// tree's name (its top chain) is known only at finish(). If a tree of that
// name exists by then, the staged one is dropped.
class DirStreamBuild final : public StreamBuild {
 public:
  DirStreamBuild(DirBackend& backend, TempDir staging)
      : m_backend(backend), m_staging(std::move(staging)) {}

  Result<LayerSink*> begin_layer() override {
    m_applier.reset();
    ASSIGN_OR_RETURN(m_applier, DirApplier::open(rootfs()));
    return m_applier.get();
  }

  Result<void> commit_layer(const ChainLink& link) override {
    m_applier.reset();
    Digest expected =
        m_chain.empty() ? link.diff_id : chain_id(m_chain.back().chain_id, link.diff_id);
    if (link.chain_id != expected) {
      return fail(Errc::bad_input, "layer " + std::to_string(m_chain.size() + 1) + ": chain " +
                                       link.chain_id.str() + " does not continue the chain");
    }
    m_chain.push_back(link);
    return {};
  }

  Result<size_t> finish(std::span<const ChainLink> chain) override {
    bool same = chain.size() == m_chain.size() && !chain.empty();
    for (size_t i = 0; same && i < chain.size(); ++i) {
      same = chain[i].diff_id == m_chain[i].diff_id && chain[i].chain_id == m_chain[i].chain_id;
    }
    if (!same) return fail(Errc::bad_input, "streamed layers differ from the image's chain");
    const Digest& top = chain.back().chain_id;
    ASSIGN_OR_RETURN(bool present, m_backend.has_image(top));
    if (present) return chain.size();
    std::string target = m_backend.image_path(top);
    TRY(sys::syncfs_path(m_staging.path()));
    TRY(sys::rename(rootfs(), target));
    TRY(sys::fsync_path(sys::dirname(target)));
    return 0;
  }

  Result<void> prepare() {
    if (::mkdir(rootfs().c_str(), 0755) != 0) return fail_errno(errno, "mkdir " + rootfs());
    return {};
  }

 private:
  std::string rootfs() const { return m_staging.path() + "/rootfs"; }

  DirBackend& m_backend;
  TempDir m_staging;
  std::vector<ChainLink> m_chain;
  std::unique_ptr<DirApplier> m_applier;
};

}  // namespace

Result<std::unique_ptr<DirBackend>> DirBackend::open(const std::string& store_root) {
  auto backend = std::make_unique<DirBackend>(store_root);
  TRY(sys::make_dirs(backend->images_dir(), 0700));
  TRY(sys::make_dirs(backend->tmp_dir(), 0700));
  return backend;
}

std::string DirBackend::images_dir() const {
  return m_root + "/dir/images";
}
std::string DirBackend::tmp_dir() const {
  return m_root + "/tmp";
}
std::string DirBackend::containers_dir() const {
  return m_root + "/dir/containers";
}
std::string DirBackend::image_dir(const Digest& top) const {
  return images_dir() + "/" + std::string(top.hex());
}

Result<std::unique_ptr<ChainBuild>> DirBackend::begin_build(std::span<const ChainLink> chain) {
  if (chain.empty()) return fail(Errc::bad_input, "image has no layers");
  const Digest& top = chain.back().chain_id;
  ASSIGN_OR_RETURN(bool present, has_image(top));
  ASSIGN_OR_RETURN(TempDir staging, TempDir::create(tmp_dir(), "dir-build-"));
  auto build = std::make_unique<DirChainBuild>(std::move(staging), image_dir(top),
                                               present ? chain.size() : 0);
  if (!present) TRY(build->prepare());
  return build;
}

Result<std::unique_ptr<StreamBuild>> DirBackend::begin_stream_build() {
  ASSIGN_OR_RETURN(TempDir staging, TempDir::create(tmp_dir(), "dir-stream-"));
  auto build = std::make_unique<DirStreamBuild>(*this, std::move(staging));
  TRY(build->prepare());
  return build;
}

Result<bool> DirBackend::has_image(const Digest& top) {
  return sys::exists(image_dir(top));
}

Result<std::string> DirBackend::rootfs_path(const Digest& top) {
  ASSIGN_OR_RETURN(bool present, has_image(top));
  if (!present) {
    return fail(Errc::corrupt_store, "image tree " + image_dir(top) + " is missing");
  }
  return image_dir(top);
}

Result<std::unique_ptr<LayerContents>> DirBackend::layer_contents(std::span<const ChainLink> chain,
                                                                  size_t index) {
  if (index >= chain.size()) return fail(Errc::usage, "layer index out of range");
  ASSIGN_OR_RETURN(std::string path, rootfs_path(chain.back().chain_id));
  return TreeContents::open_tree(path);
}

Result<void> DirBackend::collect(const std::set<Digest>& keep) {
  ASSIGN_OR_RETURN(auto names, sys::list_directory(images_dir()));
  for (const std::string& name : names) {
    if (!Digest::is_hex(name)) continue;
    ASSIGN_OR_RETURN(Digest top, Digest::parse("sha256:" + name));
    if (keep.contains(top)) continue;
    // Rename first so that the tree disappears at once, then delete it.
    ASSIGN_OR_RETURN(TempDir trash, TempDir::create(tmp_dir(), "dir-remove-"));
    TRY(sys::rename(images_dir() + "/" + name, trash.path() + "/tree"));
    TRY(sys::remove_tree(trash.path()));
  }
  return {};
}

Result<void> DirBackend::recover() {
  return {};
}

Result<void> DirBackend::remove_layout() {
  return sys::remove_tree(m_root + "/dir");
}

Result<std::string> DirBackend::create_container(const Digest& top, const std::string& name) {
  ASSIGN_OR_RETURN(std::string image, rootfs_path(top));
  std::string target = containers_dir() + "/" + name;
  ASSIGN_OR_RETURN(bool taken, sys::exists(target));
  if (taken) return fail(Errc::already_exists, "container directory " + target);
  TRY(sys::make_dirs(containers_dir(), 0700));
  ASSIGN_OR_RETURN(TempDir staging, TempDir::create(tmp_dir(), "dir-container-"));
  std::string copy = staging.path() + "/rootfs";
  TRY(run_checked({"cp", "-a", "--reflink=auto", "--", image, copy}));
  TRY(sys::syncfs_path(staging.path()));
  TRY(sys::rename(copy, target));
  TRY(sys::fsync_path(containers_dir()));  // the rename, before create reports success
  return target;
}

Result<void> DirBackend::remove_container(const std::string& name) {
  std::string path = containers_dir() + "/" + name;
  ASSIGN_OR_RETURN(bool present, sys::exists(path));
  if (!present) return {};
  ASSIGN_OR_RETURN(TempDir trash, TempDir::create(tmp_dir(), "dir-remove-"));
  TRY(sys::rename(path, trash.path() + "/tree"));
  return sys::remove_tree(trash.path());
}

Result<std::string> DirBackend::container_path(const std::string& name) {
  std::string path = containers_dir() + "/" + name;
  ASSIGN_OR_RETURN(bool present, sys::exists(path));
  if (!present) return fail(Errc::not_found, "container directory " + path);
  return path;
}

}  // namespace cairn
