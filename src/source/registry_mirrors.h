// Registry mirrors and pull-through caches (doc/registry.md, "Mirrors"), in
// the spirit of containers-registries.conf: for a registry (a reference's
// domain, e.g. "docker.io" or "127.0.0.1:5000"), an ordered list of mirror
// endpoints "HOST[:PORT][/PREFIX]". An image is pulled from the first
// endpoint that serves it — each mirror in order, the registry itself last —
// with the repository under PREFIX on a mirror ("docker.io/library/busybox"
// through "m:5000/hub" is "m:5000/hub/library/busybox"). Tags are resolved
// on mirrors too (containers/image's pull-from-mirror = all): a mirror is
// trusted for what a tag names, as the registry is; by digest nothing is
// trusted, every document and blob is checked against its digest.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "source/registry_reference.h"
#include "util/error.h"

namespace cairn {

struct RegistryMirror {
  std::string registry;  // the domain it mirrors, as references name it
  std::string endpoint;  // HOST[:PORT][/PREFIX]
};

// A registry domain as mirror lists key it: Docker Hub's alias
// index.docker.io is docker.io, as references parse it.
std::string canonical_registry(std::string_view domain);

// Parses "REGISTRY=ENDPOINT" (the --registry-mirror form); Errc::usage
// saying what is wrong.
Result<RegistryMirror> parse_registry_mirror(std::string_view text);

// Checks an endpoint "HOST[:PORT][/PREFIX]": a host as references allow, a
// prefix of valid repository components. Errc::usage.
Result<void> check_mirror_endpoint(std::string_view endpoint);

// Where to pull REF from, in order: REF on each mirror of its domain, then
// REF itself. (Docker Hub's aliases docker.io and index.docker.io are one.)
std::vector<RegistryReference> registry_endpoints(const RegistryReference& ref,
                                                  const std::vector<RegistryMirror>& mirrors);

}  // namespace cairn
