// Mounting composefs images (doc/composefs-backend.md): a flat image is one
// EROFS mount under one overlay with the object store as data-only layer; a
// per-layer image stacks one such overlay per layer (each detached) under
// one more overlay, so that every layer's escaped whiteouts and opaque
// markers are seen by the overlay above it (overlayfs wants two lower
// layers at least: a one-layer image is mounted like a flat one). A hybrid
// image is such a stack of two: its flat prefix image and its diff image. A
// container is the same top overlay, writable over its upper directory.
#include <unistd.h>

#include <cerrno>

#include "backend/composefs/composefs_backend.h"
#include "backend/composefs/mount.h"
#include "util/sys.h"

namespace cairn::composefs {

Result<std::string> ComposefsBackend::default_mount_point(const Digest& top) {
  return m_mounts + "/" + std::string(top.hex());
}

Result<std::vector<UniqueFd>> ComposefsBackend::mount_lowers(const Digest& top,
                                                             std::string& data_dir) {
  ASSIGN_OR_RETURN(ImageRecipe image, recipe(top));
  const std::vector<std::string> names = erofs_names(image);
  std::vector<UniqueFd> lowers;
  if (names.size() == 1) {
    ASSIGN_OR_RETURN(UniqueFd erofs, mount_erofs(images_dir() + "/" + names.front()));
    lowers.push_back(std::move(erofs));
    data_dir = m_objects.dir();
    return lowers;
  }
  for (auto name = names.rbegin(); name != names.rend(); ++name) {
    ASSIGN_OR_RETURN(UniqueFd erofs, mount_erofs(images_dir() + "/" + *name));
    ASSIGN_OR_RETURN(UniqueFd layer,
                     mount_overlay({erofs.get()}, m_objects.dir(), Attach::detached, ""));
    lowers.push_back(std::move(layer));
  }
  data_dir.clear();
  return lowers;
}

Result<void> ComposefsBackend::mount_stack(const Digest& top, const std::string& where,
                                           const std::optional<WritableLayer>& writable) {
  std::string data_dir;
  ASSIGN_OR_RETURN(std::vector<UniqueFd> lowers, mount_lowers(top, data_dir));
  std::vector<int> fds;
  for (const UniqueFd& fd : lowers) fds.push_back(fd.get());
  TRY(mount_overlay(fds, data_dir, Attach::at_target, where, writable));
  return {};
}

Result<std::string> ComposefsBackend::mount_image(const Digest& top, const std::string& target) {
  std::string where = target;
  if (where.empty()) {
    ASSIGN_OR_RETURN(where, default_mount_point(top));
  }
  ASSIGN_OR_RETURN(bool present, has_image(top));
  if (!present) return fail(Errc::not_found, "composefs image " + top.str());
  TRY(sys::make_dirs(where, 0755));
  ASSIGN_OR_RETURN(bool mounted, is_mount_point(where));
  if (mounted) return where;
  TRY(mount_stack(top, where, std::nullopt));
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
