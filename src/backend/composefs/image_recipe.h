// How a composefs image was built, kept next to it as
// ROOT/composefs/images/<top>.chain (doc/composefs-backend.md):
//
//   cairn-composefs-chain 1
//   mode flat|per-layer
//   layer sha256:<diff_id> sha256:<chain_id>     (bottom layer first)
//
// The file is written last when an image is published, so its presence
// means the image is complete; gc reads it to know what the image uses.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "backend/backend.h"
#include "util/error.h"

namespace cairn::composefs {

// flat: one EROFS image of the merged tree. per_layer: one EROFS image per
// chain position, stacked at mount.
enum class Mode { flat, per_layer };

// "flat" / "per-layer"; Errc::usage for anything else (hybrid included:
// not implemented).
Result<Mode> parse_mode(std::string_view name);
std::string_view mode_name(Mode mode);

struct ImageRecipe {
  Mode mode = Mode::flat;
  std::vector<ChainLink> chain;
};

std::string serialize_recipe(const ImageRecipe& recipe);
// Errc::corrupt_store unless well-formed with at least one layer.
Result<ImageRecipe> parse_recipe(std::string_view text);

}  // namespace cairn::composefs
