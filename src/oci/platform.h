// Image platforms and the rules for matching them, after containerd:
// names are normalized first (x86_64 -> amd64, aarch64 -> arm64, armhf ->
// arm/v7, "8" -> "v8"), arm64 defaults to variant v8 and arm to v7, and the
// variant of amd64 (v2, v3…) is ignored unless the wanted platform names one.
#pragma once

#include <string>
#include <string_view>

#include "util/error.h"

namespace cairn {

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;  // may be empty

  bool operator==(const Platform&) const = default;
  // "os/arch[/variant]".
  std::string str() const;
};

// The platform of the running machine, from uname(2), normalized.
Platform host_platform();

// Normalizes aliases and fills the default variant.
Platform normalize_platform(Platform p);

// Parses "os/arch[/variant]" and normalizes it; Errc::usage if malformed.
Result<Platform> parse_platform(std::string_view text);

// Whether an image built for `have` runs as `want` asks. Both are normalized
// before comparison.
bool platform_matches(const Platform& want, const Platform& have);

}  // namespace cairn
