// JSON renderings of store records, shared by `images`, `inspect` and
// `import --json`. Field names are part of the CLI contract (doc/cli.md).
#pragma once

#include <nlohmann/json.hpp>

#include "store/metadata.h"

namespace cairn::cli {

std::uint64_t image_size(const ImageRecord& image);
nlohmann::json image_summary_json(const ImageRecord& image);
nlohmann::json image_detail_json(const ImageRecord& image);

}  // namespace cairn::cli
