#include "oci/platform.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "util/split.h"

namespace cairn {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// Maps an architecture alias to its OCI name and the variant it implies.
void normalize_arch(std::string& arch, std::string& variant) {
  struct Alias {
    std::string_view from, arch, variant;
  };
  static constexpr Alias k_aliases[] = {
      {"x86_64", "amd64", ""}, {"x86-64", "amd64", ""}, {"aarch64", "arm64", ""},
      {"armhf", "arm", "v7"},  {"armel", "arm", "v6"},  {"armv7l", "arm", "v7"},
      {"armv7", "arm", "v7"},  {"armv6l", "arm", "v6"}, {"armv5tel", "arm", "v5"},
      {"i386", "386", ""},     {"i486", "386", ""},     {"i586", "386", ""},
      {"i686", "386", ""},
  };
  for (const Alias& a : k_aliases) {
    if (arch == a.from) {
      arch = a.arch;
      if (variant.empty()) variant = a.variant;
      break;
    }
  }
}

}  // namespace

std::string Platform::str() const {
  std::string s = os + "/" + architecture;
  if (!variant.empty()) s += "/" + variant;
  return s;
}

Platform normalize_platform(Platform p) {
  p.os = lower(p.os);
  p.architecture = lower(p.architecture);
  p.variant = lower(p.variant);
  normalize_arch(p.architecture, p.variant);
  if (p.variant.size() == 1 && std::isdigit(static_cast<unsigned char>(p.variant[0]))) {
    p.variant = "v" + p.variant;
  }
  if (p.architecture == "arm64" && p.variant.empty()) p.variant = "v8";
  if (p.architecture == "arm" && p.variant.empty()) p.variant = "v7";
  return p;
}

Platform host_platform() {
  struct utsname u {};
  Platform p{"linux", "", ""};
  if (::uname(&u) == 0) p.architecture = u.machine;
  return normalize_platform(std::move(p));
}

Result<Platform> parse_platform(std::string_view text) {
  std::vector<std::string_view> parts = split(text, '/');
  bool ok = parts.size() == 2 || parts.size() == 3;
  for (std::string_view part : parts) ok = ok && !part.empty();
  if (!ok) {
    return fail(Errc::usage,
                "invalid platform \"" + std::string(text) + "\": expected os/arch[/variant]");
  }
  Platform p{std::string(parts[0]), std::string(parts[1]),
             std::string(parts.size() == 3 ? parts[2] : "")};
  return normalize_platform(std::move(p));
}

bool platform_matches(const Platform& want, const Platform& have) {
  Platform w = normalize_platform(want);
  Platform h = normalize_platform(have);
  if (w.os != h.os || w.architecture != h.architecture) return false;
  if (w.architecture == "amd64") {
    if (w.variant.empty()) return true;
    return w.variant == (h.variant.empty() ? "v1" : h.variant);
  }
  return w.variant == h.variant;
}

}  // namespace cairn
