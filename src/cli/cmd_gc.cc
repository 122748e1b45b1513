#include <cstdio>

#include "cli/command.h"
#include "cli/pyxis_cache.h"

namespace cairn::cli {

Action define_gc(CLI::App&, const GlobalOptions& global) {
  return [&global]() -> Result<void> {
    ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_write));
    TRY(store->collect_garbage());
    return prune_pyxis_cache(*store);
  };
}

}  // namespace cairn::cli
