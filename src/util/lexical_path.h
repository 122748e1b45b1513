// Lexical cleaning of '/'-separated paths, shared by the layer applier's and
// the archive readers' path checks. Nothing here touches the filesystem:
// symlinks are not resolved.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cairn {

// The canonical relative form of PATH: "a/b/c", or "" for the root. Drops a
// leading '/', empty and "." segments; a ".." segment removes the segment
// before it. std::nullopt if a ".." climbs above the root. The result never
// contains "", "." or ".." segments, nor a leading or trailing '/'.
std::optional<std::string> clean_relative_path(std::string_view path);

}  // namespace cairn
