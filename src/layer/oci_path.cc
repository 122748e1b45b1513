#include "layer/oci_path.h"

#include <vector>

namespace cairn {

Result<std::string> normalize_layer_path(std::string_view raw) {
  std::vector<std::string_view> segments;
  size_t pos = 0;
  while (pos <= raw.size()) {
    size_t end = raw.find('/', pos);
    if (end == std::string_view::npos) end = raw.size();
    std::string_view seg = raw.substr(pos, end - pos);
    if (seg == "..") {
      if (segments.empty()) {
        return fail(Errc::unsafe_path, "path climbs out of the root: " + std::string(raw));
      }
      segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    pos = end + 1;
  }
  std::string out;
  for (std::string_view seg : segments) {
    if (!out.empty()) out += '/';
    out += seg;
  }
  return out;
}

std::pair<std::string_view, std::string_view> split_layer_path(std::string_view canonical) {
  size_t slash = canonical.rfind('/');
  if (slash == std::string_view::npos) return {std::string_view(), canonical};
  return {canonical.substr(0, slash), canonical.substr(slash + 1)};
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
