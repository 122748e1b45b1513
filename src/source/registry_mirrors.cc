#include "source/registry_mirrors.h"

namespace cairn {
std::string canonical_registry(std::string_view domain) {
  if (domain == "index.docker.io") return std::string(k_docker_hub_domain);
  return std::string(domain);
}

Result<void> check_mirror_endpoint(std::string_view endpoint) {
  auto bad = [&](std::string_view why) {
    return fail(Errc::usage, "registry mirror \"" + std::string(endpoint) +
                                 "\": " + std::string(why) + " (expected HOST[:PORT][/PREFIX])");
  };
  if (endpoint.find("://") != std::string_view::npos) return bad("no scheme");
  size_t slash = endpoint.find('/');
  std::string_view host = endpoint.substr(0, slash);
  if (host.empty()) return bad("no host");
  // a reference whose domain is HOST and whose repository is PREFIX/x checks both
  std::string probe =
      std::string(host) + "/" +
      (slash == std::string_view::npos ? std::string("x")
                                       : std::string(endpoint.substr(slash + 1)) + "/x");
  if (host.find_first_of(".:") == std::string_view::npos && host != "localhost") {
    return bad("the host needs a '.' or a ':PORT', or must be localhost");
  }
  if (!parse_registry_reference(probe)) return bad("not a valid host and repository prefix");
  return {};
}

Result<RegistryMirror> parse_registry_mirror(std::string_view text) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return fail(Errc::usage, "--registry-mirror \"" + std::string(text) +
                                 "\": expected REGISTRY=HOST[:PORT][/PREFIX]");
  }
  RegistryMirror mirror{canonical_registry(text.substr(0, eq)), std::string(text.substr(eq + 1))};
  TRY(check_mirror_endpoint(mirror.endpoint));
  return mirror;
}

std::vector<RegistryReference> registry_endpoints(const RegistryReference& ref,
                                                  const std::vector<RegistryMirror>& mirrors) {
  std::vector<RegistryReference> endpoints;
  const std::string domain = canonical_registry(ref.domain);
  for (const RegistryMirror& mirror : mirrors) {
    if (canonical_registry(mirror.registry) != domain) continue;
    size_t slash = mirror.endpoint.find('/');
    RegistryReference on_mirror = ref;
    on_mirror.domain = mirror.endpoint.substr(0, slash);
    if (slash != std::string::npos) {
      on_mirror.repository = mirror.endpoint.substr(slash + 1) + "/" + ref.repository;
    }
    endpoints.push_back(std::move(on_mirror));
  }
  endpoints.push_back(ref);
  return endpoints;
}

}  // namespace cairn
