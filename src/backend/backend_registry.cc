#include "backend/backend_registry.h"

#include "backend/btrfs/btrfs_backend.h"
#include "backend/composefs/composefs_settings.h"
#include "backend/dir/dir_backend.h"
#include "backend/zfs/zfs_backend.h"

namespace cairn {

Result<std::unique_ptr<Backend>> open_backend(std::string_view name, const std::string& root,
                                              BackendSettings& settings) {
  std::unique_ptr<Backend> backend;
  if (name == "dir") {
    ASSIGN_OR_RETURN(backend, DirBackend::open(root));
  } else if (name == "composefs") {
    ASSIGN_OR_RETURN(backend, composefs::open_configured(root, settings));
  } else if (name == "btrfs") {
    ASSIGN_OR_RETURN(backend, BtrfsBackend::open(root));
  } else if (name == "zfs") {
    ASSIGN_OR_RETURN(backend, ZfsBackend::open(root));
  } else {
    return fail(Errc::usage, "unknown backend \"" + std::string(name) +
                                 "\" (known: dir, composefs, btrfs, zfs)");
  }
  return backend;
}

}  // namespace cairn
