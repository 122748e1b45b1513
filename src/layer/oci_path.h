// OCI layer paths: how a raw tar entry name maps to a place inside the root.
//
// A raw name is cleaned like umoci's CleanPath (Go filepath.Clean("/" + p)
// made relative): "./" and "/" prefixes, empty and "." segments disappear,
// ".." removes the previous segment. Where umoci clamps a ".." that climbs
// above the root, cairn refuses the layer (Errc::unsafe_path): no legitimate
// layer needs it, and a layer that tries is hostile. Symlinks are not
// resolved here; that is the job of the layer engine (layer/layer_engine.h).
//
// The final segment then decides what the entry means:
//   ".wh..wh..opq"  opaque marker: the lower contents of its directory vanish
//   ".wh.NAME"      whiteout: NAME in the same directory vanishes
//   anything else   an entry to create (the empty path is the root itself)
#pragma once

#include <string>
#include <string_view>

#include "util/error.h"

namespace cairn {

inline constexpr std::string_view k_whiteout_prefix = ".wh.";
inline constexpr std::string_view k_opaque_marker = ".wh..wh..opq";

// The canonical relative form of a raw tar path: "a/b/c", or "" for the root.
// Never contains "", "." or ".." segments, nor a leading or trailing '/'.
// Errc::unsafe_path if a ".." segment climbs above the root.
Result<std::string> normalize_layer_path(std::string_view raw);

enum class PathOp { entry, whiteout, opaque };

// What a layer entry's path asks for. `dir` is the canonical parent
// directory ("" = the root). For `entry`, `name` is the final segment (empty
// only for the root entry itself); for `whiteout`, the name to remove; for
// `opaque`, `name` is empty and `dir` is the directory made opaque.
struct LayerPath {
  PathOp op = PathOp::entry;
  std::string dir;
  std::string name;

  bool is_root() const { return op == PathOp::entry && dir.empty() && name.empty(); }
};

// Classifies a raw tar path. Fails with Errc::bad_input on a NUL byte, and
// with Errc::unsafe_path on a path climbing above the root or a whiteout
// naming "", "." or ".." (".wh.", ".wh..", ".wh..."), which would hit the
// directory itself or its parent.
Result<LayerPath> classify_layer_path(std::string_view raw);

// Splits a canonical path into parent and final segment ("a/b" -> "a", "b").
std::pair<std::string_view, std::string_view> split_layer_path(std::string_view canonical);
// Each half of split_layer_path, as a string.
std::string layer_path_parent(std::string_view canonical);
std::string layer_path_name(std::string_view canonical);

}  // namespace cairn
