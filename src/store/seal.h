// Sealed images (doc/composefs-backend.md, "Sealing"): an image config whose
// label `containers.composefs.fsverity` (the name composefs-rs's OCI sealing
// uses) holds the composefs image digest of the image's tree — 64 lowercase
// hex digits, the fs-verity digest of the flat EROFS image — was sealed by
// its producer. A store whose backend has image digests (composefs) checks
// the seal when it imports the image: an image whose tree has another digest
// is refused. Other backends cannot check a seal; they import the image as
// it is.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "backend/backend.h"
#include "oci/digest.h"
#include "util/error.h"

namespace cairn {

inline constexpr std::string_view k_seal_label = "containers.composefs.fsverity";

// The seal of an image config, if it has the label. Errc::bad_input for
// a config that is not a JSON object or a label value that is not 64
// lowercase hex digits.
Result<std::optional<std::string>> config_seal(std::string_view config_json);

// Checks the seal of CONFIG, if any, against the image digest BACKEND
// computes for the image whose top chain is TOP. Errc::digest_mismatch
// ("sealed image: ... the tree has ...") when they differ.
Result<void> check_seal(Backend& backend, std::string_view config_json, const Digest& top);

}  // namespace cairn
