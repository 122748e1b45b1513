#include "util/lexical_path.h"

#include <vector>

#include "util/split.h"

namespace cairn {

std::optional<std::string> clean_relative_path(std::string_view path) {
  std::vector<std::string_view> segments;
  for (std::string_view seg : split(path, '/')) {
    if (seg.empty() || seg == ".") continue;
    if (seg != "..") {
      segments.push_back(seg);
    } else if (segments.empty()) {
      return std::nullopt;
    } else {
      segments.pop_back();
    }
  }
  std::string out;
  for (std::string_view seg : segments) {
    if (!out.empty()) out += '/';
    out += seg;
  }
  return out;
}

}  // namespace cairn
