#include "backend/btrfs/btrfs_backend.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <random>
#include <vector>

#include "backend/btrfs/btrfs_subvol.h"
#include "util/sys.h"

namespace cairn {
namespace {

constexpr std::string_view k_staging_prefix = ".tmp-";

Result<std::vector<std::string>> list_names(int dir_fd, const std::string& what) {
  UniqueFd copy(::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0));
  if (!copy) return fail_errno(errno, "dup " + what);
  DIR* dir = ::fdopendir(copy.get());
  if (dir == nullptr) return fail_errno(errno, "opendir " + what);
  copy.release();
  ::rewinddir(dir);
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(dir);
  return names;
}

Result<bool> exists_at(int dir_fd, const std::string& name) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return true;
  if (errno == ENOENT) return false;
  return fail_errno(errno, "stat " + name);
}

std::string staging_name(const std::string& tag) {
  std::random_device random;
  std::uniform_int_distribution<unsigned> digit(0, 15);
  std::string suffix;
  for (int i = 0; i < 8; ++i) suffix += "0123456789abcdef"[digit(random)];
  return std::string(k_staging_prefix) + tag + "." + std::to_string(::getpid()) + "." + suffix;
}

Result<Digest> digest_of_hex(const std::string& hex) {
  return Digest::parse("sha256:" + hex);
}

}  // namespace

BtrfsBackend::BtrfsBackend(Token, std::string root, UniqueFd layers, UniqueFd containers)
    : m_root(std::move(root)), m_layers(std::move(layers)), m_containers(std::move(containers)) {}

Result<std::unique_ptr<BtrfsBackend>> BtrfsBackend::open(const std::string& store_root) {
  if (auto on_btrfs = btrfs::require_btrfs(store_root); !on_btrfs) {
    return fail(std::move(on_btrfs).error().wrap("btrfs backend"));
  }
  TRY(sys::make_dirs(store_root + "/btrfs/layers", 0700));
  TRY(sys::make_dirs(store_root + "/btrfs/containers", 0700));
  ASSIGN_OR_RETURN(UniqueFd layers,
                   sys::open(store_root + "/btrfs/layers", O_RDONLY | O_DIRECTORY));
  ASSIGN_OR_RETURN(UniqueFd containers,
                   sys::open(store_root + "/btrfs/containers", O_RDONLY | O_DIRECTORY));
  return std::make_unique<BtrfsBackend>(Token{}, store_root, std::move(layers),
                                        std::move(containers));
}

Result<bool> BtrfsBackend::has_layer(const Digest& chain_id) {
  return exists_at(m_layers.get(), std::string(chain_id.hex()));
}

Result<std::string> BtrfsBackend::rootfs_path(const Digest& top) {
  ASSIGN_OR_RETURN(bool present, has_layer(top));
  std::string path = layers_dir() + "/" + std::string(top.hex());
  if (!present) return fail(Errc::corrupt_store, "layer subvolume " + path + " is missing");
  return path;
}

Result<StagedLayer> BtrfsBackend::stage(const std::string& tag, const Digest* parent) {
  std::string name = staging_name(tag);
  if (parent == nullptr) {
    TRY(btrfs::create_subvolume(m_layers.get(), name));
  } else {
    ASSIGN_OR_RETURN(UniqueFd source, btrfs::open_dir(m_layers.get(), std::string(parent->hex())));
    TRY(btrfs::snapshot(source.get(), m_layers.get(), name, btrfs::SnapshotMode::writable));
  }
  return StagedLayer{.handle = name,
                     .path = layers_dir() + "/" + name,
                     .parent = parent ? std::optional(*parent) : std::nullopt};
}

Result<void> BtrfsBackend::publish(const ChainLink& link, const StagedLayer& staged) {
  ASSIGN_OR_RETURN(UniqueFd subvol, btrfs::open_dir(m_layers.get(), staged.handle));
  TRY(btrfs::set_read_only(subvol.get(), btrfs::ReadOnly::on));
  if (::syncfs(subvol.get()) != 0) return fail_errno(errno, "syncfs " + staged.path);
  std::string target(link.chain_id.hex());
  if (::renameat2(m_layers.get(), staged.handle.c_str(), m_layers.get(), target.c_str(),
                  RENAME_NOREPLACE) != 0) {
    return fail_errno(errno, "rename " + staged.path + " to " + target);
  }
  return sys::fsync(m_layers.get(), layers_dir());
}

void BtrfsBackend::discard(const StagedLayer& staged) {
  (void)btrfs::destroy(m_layers.get(), staged.handle);
}

void BtrfsBackend::unpublish(const Digest& chain_id) {
  (void)btrfs::destroy(m_layers.get(), std::string(chain_id.hex()));
}

// The layers and containers directories are plain directories (no subvolume
// is left in an empty store: a failed build destroys its staging subvolume).
Result<void> BtrfsBackend::remove_layout() {
  return sys::remove_tree(m_root + "/btrfs");
}

Result<void> BtrfsBackend::recover() {
  ASSIGN_OR_RETURN(auto names, list_names(m_layers.get(), layers_dir()));
  for (const std::string& name : names) {
    if (name.starts_with(k_staging_prefix)) TRY(btrfs::destroy(m_layers.get(), name));
  }
  return {};
}

Result<std::vector<std::string>> BtrfsBackend::unfinished() {
  ASSIGN_OR_RETURN(auto names, list_names(m_layers.get(), layers_dir()));
  std::vector<std::string> staged;
  for (const std::string& name : names) {
    if (name.starts_with(k_staging_prefix)) {
      staged.push_back("staging subvolume " + layers_dir() + "/" + name);
    }
  }
  return staged;
}

Result<void> BtrfsBackend::collect(const std::set<Digest>& keep) {
  ASSIGN_OR_RETURN(auto names, list_names(m_layers.get(), layers_dir()));
  std::map<btrfs::Uuid, Digest> by_uuid;
  std::map<Digest, btrfs::Uuid> parent_uuid;
  for (const std::string& name : names) {
    if (!Digest::is_hex(name)) continue;
    ASSIGN_OR_RETURN(Digest layer, digest_of_hex(name));
    ASSIGN_OR_RETURN(UniqueFd fd, btrfs::open_dir(m_layers.get(), name));
    ASSIGN_OR_RETURN(btrfs::SubvolInfo info, btrfs::info(fd.get()));
    by_uuid.emplace(info.uuid, layer);
    parent_uuid.emplace(layer, info.parent_uuid);
  }
  std::map<Digest, std::optional<Digest>> layers;
  for (const auto& [layer, puuid] : parent_uuid) {
    auto it = by_uuid.find(puuid);
    layers.emplace(layer, it == by_uuid.end() ? std::nullopt : std::optional<Digest>(it->second));
  }
  for (const Digest& layer : unneeded_layers(layers, keep)) {
    TRY(btrfs::destroy(m_layers.get(), std::string(layer.hex())));
  }
  return {};
}

Result<std::string> BtrfsBackend::create_container(const Digest& top, const std::string& name) {
  ASSIGN_OR_RETURN(std::string image, rootfs_path(top));
  ASSIGN_OR_RETURN(bool taken, exists_at(m_containers.get(), name));
  if (taken) return fail(Errc::already_exists, "container " + name);
  ASSIGN_OR_RETURN(UniqueFd source, btrfs::open_dir(m_layers.get(), std::string(top.hex())));
  TRY(btrfs::snapshot(source.get(), m_containers.get(), name, btrfs::SnapshotMode::writable));
  TRY(sys::fsync(m_containers.get(), containers_dir()));
  return containers_dir() + "/" + name;
}

Result<void> BtrfsBackend::remove_container(const std::string& name) {
  return btrfs::destroy(m_containers.get(), name);
}

Result<std::string> BtrfsBackend::container_path(const std::string& name) {
  ASSIGN_OR_RETURN(bool present, exists_at(m_containers.get(), name));
  if (!present) return fail(Errc::not_found, "container " + name + " has no subvolume");
  return containers_dir() + "/" + name;
}

}  // namespace cairn
