// Default disk usage of a backend: the apparent size of an image's tree.
#include <sys/stat.h>

#include <set>
#include <utility>

#include "backend/backend.h"
#include "backend/tree_bytes.h"

namespace cairn {

Result<std::vector<UsageItem>> Backend::image_usage(const Digest& top) {
  ASSIGN_OR_RETURN(std::string root, rootfs_path(top));
  ASSIGN_OR_RETURN(std::uint64_t bytes, tree_bytes(root));
  return std::vector<UsageItem>{{"tree_bytes", bytes}};
}

}  // namespace cairn
