// Which image names the store accepts. A name is what `import --name`,
// `tag` or a source's tag gives an image, and what every command takes in
// place of an id, so it must not read as an id: not "sha256:…", not a run of
// 4 to 64 hex digits (an id prefix), and printable: no spaces, control
// characters or newlines, no "." or ".." path component, at most 255 bytes.
#pragma once

#include <string_view>

#include "util/error.h"

namespace cairn {

// Errc::usage naming what is wrong, the name shown escaped.
Result<void> check_image_name(std::string_view name);

}  // namespace cairn
