#include "cli/command.h"

namespace cairn::cli {

Result<std::unique_ptr<Store>> open_store(const GlobalOptions& global, Access access) {
  return Store::open(StoreOptions{.root = global.root,
                                  .backend = global.backend,
                                  .composefs_mode = global.mode,
                                  .composefs_hybrid_min_images = global.hybrid_min},
                     access);
}

}  // namespace cairn::cli
