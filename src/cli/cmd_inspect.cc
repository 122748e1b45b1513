// `cairn inspect IMAGE`: the image's record as JSON (cli/image_json.h), plus
// what the backend knows of its integrity: `composefs_digest`, the image
// digest (null on backends without one), and `seal`, the digest its config's
// containers.composefs.fsverity label names (store/seal.h), with whether the
// store checked it at import (only backends with image digests can).
#include <cstdio>

#include "cli/command.h"
#include "cli/image_json.h"
#include "store/seal.h"

namespace cairn::cli {

Action define_inspect(CLI::App& command, const GlobalOptions& global) {
  auto ref = std::make_shared<std::string>();
  command.add_option("image", *ref, "Image name or id")->required();
  return [ref, &global]() -> Result<void> {
    ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_only));
    ASSIGN_OR_RETURN(ImageRecord image, store->metadata().resolve_image(*ref));
    nlohmann::json out = image_detail_json(image);
    std::optional<std::string> digest;
    if (ImageIntegrity* integrity = store->backend().integrity()) {
      ASSIGN_OR_RETURN(digest, integrity->image_digest(image.top_chain));
    }
    out["composefs_digest"] = digest ? nlohmann::json(*digest) : nullptr;
    auto seal = config_seal(image.config);
    out["seal"] = seal && *seal
                      ? nlohmann::json{{"digest", **seal}, {"checked", digest.has_value()}}
                      : nullptr;
    std::printf("%s\n", out.dump(2).c_str());
    return {};
  };
}

}  // namespace cairn::cli
