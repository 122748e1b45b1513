// The table of OCI layer-semantics cases every applier must pass (the dir
// applier, the composefs merge): lower layers, the layer under test, and the
// expected list_tree() listing of the whole rootfs.
#pragma once

#include <string>
#include <vector>

#include "support/entry_fixtures.h"

namespace cairn::testing {

struct ApplyCase {
  std::string name;
  std::vector<Layer> lowers;
  Layer layer;
  std::string want;
};

std::vector<ApplyCase> apply_cases();

void PrintTo(const ApplyCase& c, std::ostream* os);

}  // namespace cairn::testing
