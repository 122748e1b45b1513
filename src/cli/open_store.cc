#include "cli/command.h"

namespace cairn::cli {

Result<std::unique_ptr<Store>> open_store(const GlobalOptions& global, Access access) {
  return Store::open(StoreOptions{.root = global.root, .backend = global.backend}, access,
                     global.mode);
}

}  // namespace cairn::cli
