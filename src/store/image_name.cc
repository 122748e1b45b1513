#include "store/image_name.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace cairn {
namespace {

constexpr size_t k_max_image_name = 255;

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}
bool is_printable(unsigned char c) {
  return c > 0x20 && c < 0x7f;
}

// The name with every byte outside printable ASCII as \xHH.
std::string escaped(std::string_view name) {
  std::string out;
  for (unsigned char c : name) {
    if (is_printable(c)) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

bool has_dot_component(std::string_view name) {
  size_t begin = 0;
  while (begin <= name.size()) {
    size_t end = std::min(name.find('/', begin), name.size());
    std::string_view part = name.substr(begin, end - begin);
    if (part == "." || part == "..") return true;
    begin = end + 1;
  }
  return false;
}

const char* problem_of(std::string_view name) {
  if (name.empty()) return "is empty";
  if (name.size() > k_max_image_name) return "is longer than 255 bytes";
  if (!std::all_of(name.begin(), name.end(), [](char c) { return is_printable(c); })) {
    return "holds spaces, control characters or non-ASCII bytes";
  }
  if (name.starts_with("sha256:") || name.starts_with("sha512:")) return "reads as an image id";
  if (name.size() >= 4 && name.size() <= 64 && std::all_of(name.begin(), name.end(), is_hex)) {
    return "reads as an image id prefix";
  }
  if (has_dot_component(name)) return "has a . or .. component";
  return nullptr;
}

}  // namespace

Result<void> check_image_name(std::string_view name) {
  if (const char* problem = problem_of(name)) {
    return fail(Errc::usage, "image name \"" + escaped(name) + "\" " + problem);
  }
  return {};
}

}  // namespace cairn
