// Mounting composefs images (doc/composefs-backend.md): a flat image is one
// EROFS mount under one overlay with the object store as data-only layer; a
// per-layer image stacks one such overlay per layer (each detached) under
// one more overlay, so that every layer's escaped whiteouts and opaque
// markers are seen by the overlay above it (overlayfs wants two lower
// layers at least: a one-layer image is mounted like a flat one).
#include <unistd.h>

#include <cerrno>

#include "backend/composefs/composefs_backend.h"
#include "backend/composefs/mount.h"
#include "util/sys.h"

namespace cairn::composefs {

Result<std::string> ComposefsBackend::default_mount_point(const Digest& top) {
  return m_mounts + "/" + std::string(top.hex());
}

Result<std::string> ComposefsBackend::mount_image(const Digest& top, const std::string& target) {
  std::string where = target;
  if (where.empty()) {
    ASSIGN_OR_RETURN(where, default_mount_point(top));
  }
  ASSIGN_OR_RETURN(ImageRecipe image, recipe(top));
  TRY(sys::make_dirs(where, 0755));
  ASSIGN_OR_RETURN(bool mounted, is_mount_point(where));
  if (mounted) return where;
  if (image.mode == Mode::flat || image.chain.size() == 1) {
    const std::string file = image.mode == Mode::flat
                                 ? image_path(top)
                                 : layer_image_path(image.chain.front().chain_id);
    ASSIGN_OR_RETURN(UniqueFd erofs, mount_erofs(file));
    TRY(mount_overlay({erofs.get()}, m_objects.dir(), Attach::at_target, where));
    return where;
  }
  std::vector<UniqueFd> layers;
  std::vector<int> lowers;
  for (auto link = image.chain.rbegin(); link != image.chain.rend(); ++link) {
    ASSIGN_OR_RETURN(UniqueFd erofs, mount_erofs(layer_image_path(link->chain_id)));
    ASSIGN_OR_RETURN(UniqueFd layer,
                     mount_overlay({erofs.get()}, m_objects.dir(), Attach::detached, ""));
    lowers.push_back(layer.get());
    layers.push_back(std::move(layer));
  }
  TRY(mount_overlay(lowers, "", Attach::at_target, where));
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
