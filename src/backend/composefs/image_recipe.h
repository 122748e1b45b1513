// How a composefs image was built, kept next to it as
// ROOT/composefs/images/<top>.chain (doc/composefs-backend.md):
//
//   cairn-composefs-chain 3
//   mode flat|per-layer|hybrid
//   prefix N                                     (hybrid only: layers in the
//                                                 shared flat prefix image)
//   layer sha256:<diff_id> sha256:<chain_id>     (bottom layer first)
//   erofs <file name> <fs-verity digest, hex>    (each EROFS file it mounts,
//                                                 bottom first)
//   flat <fs-verity digest, hex>                 (the image digest: that of
//                                                 the flat EROFS image of the
//                                                 whole chain, in every mode)
//
// Versions 2 (no flat line) and 1 (no erofs lines either) are still read:
// their image digest and file digests are derived when asked for.
// The file is written last when an image is published, so its presence
// means the image is complete; gc reads it to know what the image uses.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/backend.h"
#include "erofs/fsverity.h"
#include "util/error.h"

namespace cairn::composefs {

// flat: one EROFS image of the merged tree. per_layer: one EROFS image per
// chain position, stacked at mount. hybrid: a flat image of a chain prefix
// shared by several images, with one diff image of the other layers above.
enum class Mode { flat, per_layer, hybrid };

// "flat" / "per-layer" / "hybrid"; Errc::usage for anything else.
Result<Mode> parse_mode(std::string_view name);
std::string_view mode_name(Mode mode);

// An EROFS file an image mounts (a name in ROOT/composefs/images) and its
// fs-verity digest when the image was published.
struct ErofsFile {
  std::string name;
  erofs::VerityDigest digest;
};

struct ImageRecipe {
  Mode mode = Mode::flat;
  std::vector<ChainLink> chain;
  std::vector<ErofsFile> files;  // empty in version 1 recipes
  size_t prefix = 0;             // hybrid: 1..chain.size()-1 layers in the prefix image
  // The fs-verity digest of the EROFS image flat mode writes for the chain's
  // merged tree (for a flat image, its one file's); unset before version 3.
  std::optional<erofs::VerityDigest> flat_digest;
};

std::string serialize_recipe(const ImageRecipe& recipe);
// Errc::corrupt_store unless well-formed with at least one layer.
Result<ImageRecipe> parse_recipe(std::string_view text);

}  // namespace cairn::composefs
