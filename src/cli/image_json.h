// JSON renderings of store records, shared by `images`, `inspect` and
// `import --json`. Field names are part of the CLI contract (doc/cli.md).
#pragma once

#include <nlohmann/json.hpp>

#include "store/metadata.h"

namespace cairn::cli {

std::uint64_t image_size(const ImageRecord& image);
// The config's "created" (when the image was built), if it has one.
std::optional<std::string> image_built(const ImageRecord& image);
// For tables: image_built() as "YYYY-MM-DD HH:MM:SSZ", else the import time.
std::string image_created_text(const ImageRecord& image);
nlohmann::json image_summary_json(const ImageRecord& image);
nlohmann::json image_detail_json(const ImageRecord& image);

}  // namespace cairn::cli
