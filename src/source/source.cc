#include "source/source.h"

#include <sys/stat.h>

#include "oci/platform.h"
#include "source/file_sources.h"
#include "source/registry_source.h"
#include "util/sys.h"

namespace cairn {
namespace {

bool is_regular_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

enum class RefSplit { last_colon, first_existing };

struct PathAndRef {
  std::string path;
  std::optional<std::string> ref;
};

// Splits "PATH[:REF]". A PATH that exists as written wins; otherwise the
// reference starts after the last ':' (a tag has no ':') or, when it may
// hold ':' itself (REPO:TAG), after the first ':' whose prefix exists.
Result<PathAndRef> split_path_ref(std::string_view rest, RefSplit split, std::string_view uri) {
  auto exists = [](std::string_view p) {
    auto e = sys::exists(std::string(p));
    return e && *e;
  };
  if (rest.empty()) return fail(Errc::usage, "missing path in \"" + std::string(uri) + "\"");
  if (exists(rest)) return PathAndRef{std::string(rest), std::nullopt};
  size_t colon = std::string_view::npos;
  if (split == RefSplit::last_colon) {
    colon = rest.rfind(':');
  } else {
    for (size_t c = rest.find(':'); c != std::string_view::npos; c = rest.find(':', c + 1)) {
      if (exists(rest.substr(0, c))) {
        colon = c;
        break;
      }
    }
  }
  if (colon == std::string_view::npos) {
    return fail(Errc::not_found, std::string(uri) + ": no such file or directory");
  }
  std::string ref(rest.substr(colon + 1));
  if (ref.empty() || colon == 0) {
    return fail(Errc::usage, "malformed image reference \"" + std::string(uri) + "\"");
  }
  return PathAndRef{std::string(rest.substr(0, colon)), std::move(ref)};
}

}  // namespace

Result<ImagePlan> plan_image(std::string_view uri, const SourceOptions& options) {
  Platform platform = host_platform();
  if (options.platform) {
    ASSIGN_OR_RETURN(platform, parse_platform(*options.platform));
  }
  size_t colon = uri.find(':');
  std::string_view scheme = uri.substr(0, colon);
  std::string_view rest = colon == std::string_view::npos ? "" : uri.substr(colon + 1);
  Result<ImagePlan> plan =
      fail(Errc::usage, "unknown image source \"" + std::string(uri) +
                            "\" (use docker://, oci:, oci-archive: or docker-archive:)");
  if (colon == std::string_view::npos) return plan;
  if (scheme == "oci" || scheme == "oci-archive") {
    ASSIGN_OR_RETURN(PathAndRef p, split_path_ref(rest, RefSplit::last_colon, uri));
    if (scheme == "oci" && is_regular_file(p.path)) {
      return fail(Errc::usage, std::string(uri) + ": " + p.path +
                                   " is a file, not an OCI layout directory; for a tar of one "
                                   "use oci-archive:" +
                                   std::string(rest));
    }
    plan = scheme == "oci" ? plan_oci_dir(p.path, p.ref, platform)
                           : plan_oci_archive(p.path, p.ref, platform);
  } else if (scheme == "docker-archive") {
    ASSIGN_OR_RETURN(PathAndRef p, split_path_ref(rest, RefSplit::first_existing, uri));
    plan = plan_docker_archive(p.path, p.ref, platform);
  } else if (scheme == "docker" && rest.starts_with("//")) {
    plan = plan_registry_image(uri, options, options.registry);
  }
  if (plan) plan->source = std::string(uri);
  return plan;
}

}  // namespace cairn
