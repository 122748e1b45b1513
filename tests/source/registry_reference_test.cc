#include "source/registry_reference.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

const std::string k_hex(64, 'a');

struct RefCase {
  std::string text;
  std::string domain;
  std::string repository;
  std::string tag;
  bool has_digest;
  std::string api_host;
};

TEST(RegistryReference, ParsesWithDockerHubRules) {
  const RefCase cases[] = {
      {"alpine", "docker.io", "library/alpine", "latest", false, "registry-1.docker.io"},
      {"docker://alpine:3.19", "docker.io", "library/alpine", "3.19", false,
       "registry-1.docker.io"},
      {"docker.io/alpine", "docker.io", "library/alpine", "latest", false, "registry-1.docker.io"},
      {"index.docker.io/nvidia/cuda:12.0-base", "docker.io", "nvidia/cuda", "12.0-base", false,
       "registry-1.docker.io"},
      {"user/app", "docker.io", "user/app", "latest", false, "registry-1.docker.io"},
      {"quay.io/org/sub/app:v1", "quay.io", "org/sub/app", "v1", false, "quay.io"},
      {"localhost/app", "localhost", "app", "latest", false, "localhost"},
      {"127.0.0.1:5000/my-app_x.y__z:T_1", "127.0.0.1:5000", "my-app_x.y__z", "T_1", false,
       "127.0.0.1:5000"},
      {"nvcr.io/nvidia/pytorch@sha256:" + k_hex, "nvcr.io", "nvidia/pytorch", "", true, "nvcr.io"},
      {"ubuntu:22.04@sha256:" + k_hex, "docker.io", "library/ubuntu", "22.04", true,
       "registry-1.docker.io"},
  };
  for (const RefCase& c : cases) {
    SCOPED_TRACE(c.text);
    auto ref = parse_registry_reference(c.text);
    ASSERT_TRUE(ref) << ref.error().message();
    EXPECT_EQ(ref->domain, c.domain);
    EXPECT_EQ(ref->repository, c.repository);
    EXPECT_EQ(ref->tag, c.tag);
    EXPECT_EQ(ref->digest.has_value(), c.has_digest);
    EXPECT_EQ(ref->api_host(), c.api_host);
  }
}

TEST(RegistryReference, ManifestReferencePrefersDigest) {
  auto ref = parse_registry_reference("ubuntu:22.04@sha256:" + k_hex);
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->manifest_reference(), "sha256:" + k_hex);
  EXPECT_EQ(ref->str(), "docker.io/library/ubuntu:22.04");
  auto by_digest = parse_registry_reference("quay.io/a/b@sha256:" + k_hex);
  ASSERT_TRUE(by_digest);
  EXPECT_EQ(by_digest->str(), "quay.io/a/b@sha256:" + k_hex);
}

TEST(RegistryReference, RejectsMalformed) {
  const std::string cases[] = {
      "",
      "Alpine",
      "alpine:",
      "alpine:-x",
      "a//b",
      "-a/b",
      "a/b-",
      "a..b",
      "alpine@sha256:abc",
      "alpine@md5:" + k_hex,
      "quay.io/",
      "quay.io/UP/case",
      "alpine:" + std::string(129, 't'),
      "a b",
  };
  for (const std::string& text : cases) {
    SCOPED_TRACE(text);
    auto ref = parse_registry_reference(text);
    ASSERT_FALSE(ref);
    EXPECT_TRUE(ref.error().is(Errc::usage)) << ref.error().message();
  }
}

}  // namespace
}  // namespace cairn
