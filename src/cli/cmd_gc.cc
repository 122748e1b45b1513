#include <cstdio>

#include "cli/command.h"

namespace cairn::cli {

Action define_gc(CLI::App&, const GlobalOptions& global) {
  return [&global]() -> Result<void> {
    ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_write));
    return store->collect_garbage();
  };
}

}  // namespace cairn::cli
