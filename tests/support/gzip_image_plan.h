// An in-memory image for store tests: each tar a gzip layer blob, an OCI
// config naming their diff_ids, a manifest naming the config, named "img:1".
#pragma once

#include <string>
#include <vector>

#include "oci/image_plan.h"

namespace cairn::test {

ImagePlan gzip_image_plan(const std::vector<std::string>& tars);

}  // namespace cairn::test
