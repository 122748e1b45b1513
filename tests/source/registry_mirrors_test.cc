#include "source/registry_mirrors.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

RegistryReference ref_of(std::string_view text) {
  auto ref = parse_registry_reference(text);
  EXPECT_TRUE(ref) << text;
  return *ref;
}

TEST(RegistryMirrors, MirrorsComeFirstInOrderThenTheRegistry) {
  std::vector<RegistryMirror> mirrors = {{"docker.io", "m1.example:5000"},
                                         {"quay.io", "q.example"},
                                         {"docker.io", "m2.example/hub/cache"}};
  auto endpoints = registry_endpoints(ref_of("busybox:1.36"), mirrors);
  ASSERT_EQ(endpoints.size(), 3u);
  EXPECT_EQ(endpoints[0].domain, "m1.example:5000");
  EXPECT_EQ(endpoints[0].repository, "library/busybox");
  EXPECT_EQ(endpoints[0].tag, "1.36");
  EXPECT_EQ(endpoints[1].domain, "m2.example");
  EXPECT_EQ(endpoints[1].repository, "hub/cache/library/busybox");
  EXPECT_EQ(endpoints[2].domain, "docker.io");
  EXPECT_EQ(endpoints[2].api_host(), "registry-1.docker.io");
  auto by_digest =
      registry_endpoints(ref_of("quay.io/a/b@sha256:" + std::string(64, '0')), mirrors);
  ASSERT_EQ(by_digest.size(), 2u);
  EXPECT_EQ(by_digest[0].domain, "q.example");
  EXPECT_TRUE(by_digest[0].digest);
  EXPECT_EQ(registry_endpoints(ref_of("127.0.0.1:5000/x:y"), mirrors).size(), 1u);
}

TEST(RegistryMirrors, ParsesTheOptionAndRefusesBadEndpoints) {
  auto mirror = parse_registry_mirror("index.docker.io=127.0.0.1:5000/hub");
  ASSERT_TRUE(mirror) << mirror.error().message();
  EXPECT_EQ(mirror->registry, "docker.io");
  EXPECT_EQ(mirror->endpoint, "127.0.0.1:5000/hub");
  for (std::string_view bad :
       {"docker.io", "=m.example", "docker.io=", "docker.io=http://m.example", "docker.io=mirror",
        "docker.io=m.example/UPPER", "docker.io=/x"}) {
    auto parsed = parse_registry_mirror(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_TRUE(parsed.error().is(Errc::usage)) << bad;
  }
  EXPECT_TRUE(check_mirror_endpoint("localhost"));
  EXPECT_TRUE(check_mirror_endpoint("[::1]:5000/a/b"));
}

}  // namespace
}  // namespace cairn
