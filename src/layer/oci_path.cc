#include "layer/oci_path.h"

#include "util/lexical_path.h"

namespace cairn {

Result<std::string> normalize_layer_path(std::string_view raw) {
  std::optional<std::string> clean = clean_relative_path(raw);
  if (!clean) return fail(Errc::unsafe_path, "path climbs out of the root: " + std::string(raw));
  return std::move(*clean);
}

std::pair<std::string_view, std::string_view> split_layer_path(std::string_view canonical) {
  size_t slash = canonical.rfind('/');
  if (slash == std::string_view::npos) return {std::string_view(), canonical};
  return {canonical.substr(0, slash), canonical.substr(slash + 1)};
}

std::string layer_path_parent(std::string_view canonical) {
  return std::string(split_layer_path(canonical).first);
}

std::string layer_path_name(std::string_view canonical) {
  return std::string(split_layer_path(canonical).second);
}

Result<LayerPath> classify_layer_path(std::string_view raw) {
  if (raw.find('\0') != std::string_view::npos) {
    return fail(Errc::bad_input, "layer path contains a NUL byte");
  }
  ASSIGN_OR_RETURN(std::string canonical, normalize_layer_path(raw));
  auto [dir, name] = split_layer_path(canonical);
  LayerPath out;
  out.dir = std::string(dir);
  if (name == k_opaque_marker) {
    out.op = PathOp::opaque;
    return out;
  }
  if (name.starts_with(k_whiteout_prefix)) {
    std::string_view target = name.substr(k_whiteout_prefix.size());
    if (target.empty() || target == "." || target == "..") {
      return fail(Errc::unsafe_path, "whiteout of a directory itself: " + std::string(raw));
    }
    out.op = PathOp::whiteout;
    out.name = std::string(target);
    return out;
  }
  out.op = PathOp::entry;
  out.name = std::string(name);
  return out;
}

}  // namespace cairn
