// Image references of the form [HOST[:PORT]/]REPO[:TAG][@DIGEST], with the
// rules of Docker's reference grammar:
//  - the first path component is a registry host when it contains '.' or
//    ':' or is "localhost"; otherwise the image is on Docker Hub;
//  - "docker.io" and "index.docker.io" are Docker Hub, whose API endpoint is
//    registry-1.docker.io, and a single-component Hub name gets "library/";
//  - repository components are lowercase alphanumerics joined by '.', '_',
//    "__" or runs of '-', separated by '/';
//  - the tag defaults to "latest" unless a digest is given; a digest must be
//    "sha256:" + 64 lowercase hex (Digest::parse).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "oci/digest.h"
#include "util/error.h"

namespace cairn {

inline constexpr std::string_view k_docker_hub_domain = "docker.io";
inline constexpr std::string_view k_docker_hub_api_host = "registry-1.docker.io";

struct RegistryReference {
  std::string domain;      // "docker.io", "quay.io", "127.0.0.1:5000"
  std::string repository;  // "library/alpine"
  std::string tag;         // empty when pulled by digest only
  std::optional<Digest> digest;

  // The host[:port] the distribution API is served from.
  std::string api_host() const;
  // What to ask the registry for: the digest if there is one, else the tag.
  std::string manifest_reference() const;
  // "domain/repository:tag" or "domain/repository@digest".
  std::string str() const;
};

// Parses a reference; a leading "docker://" is ignored. Errc::usage names
// the reference and what is wrong with it.
Result<RegistryReference> parse_registry_reference(std::string_view text);

}  // namespace cairn
