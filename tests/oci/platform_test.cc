#include "oci/platform.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(Platform, ParsesAndNormalizes) {
  struct Case {
    const char* text;
    Platform want;
  } cases[] = {
      {"linux/amd64", {"linux", "amd64", ""}},      {"linux/x86_64", {"linux", "amd64", ""}},
      {"linux/arm64", {"linux", "arm64", "v8"}},    {"linux/aarch64", {"linux", "arm64", "v8"}},
      {"linux/arm64/8", {"linux", "arm64", "v8"}},  {"linux/arm", {"linux", "arm", "v7"}},
      {"linux/arm/v6", {"linux", "arm", "v6"}},     {"linux/armhf", {"linux", "arm", "v7"}},
      {"Linux/AMD64/v3", {"linux", "amd64", "v3"}},
  };
  for (const Case& c : cases) {
    auto p = parse_platform(c.text);
    ASSERT_TRUE(p) << c.text;
    EXPECT_EQ(*p, c.want) << c.text << " -> " << p->str();
  }
}

TEST(Platform, RejectsMalformed) {
  for (const char* text : {"", "linux", "linux/", "/amd64", "linux/arm/", "a/b/c/d"}) {
    auto p = parse_platform(text);
    ASSERT_FALSE(p) << text;
    EXPECT_TRUE(p.error().is(Errc::usage)) << text;
  }
}

TEST(Platform, MatchesLikeContainerd) {
  struct Case {
    Platform want, have;
    bool match;
  } cases[] = {
      {{"linux", "amd64", ""}, {"linux", "amd64", ""}, true},
      {{"linux", "amd64", ""}, {"linux", "amd64", "v3"}, true},
      {{"linux", "amd64", "v3"}, {"linux", "amd64", ""}, false},
      {{"linux", "amd64", "v3"}, {"linux", "amd64", "v3"}, true},
      {{"linux", "arm64", "v8"}, {"linux", "arm64", ""}, true},
      {{"linux", "arm64", ""}, {"linux", "aarch64", "8"}, true},
      {{"linux", "arm", "v7"}, {"linux", "arm", "v6"}, false},
      {{"linux", "arm", ""}, {"linux", "arm", "v7"}, true},
      {{"linux", "amd64", ""}, {"linux", "arm64", ""}, false},
      {{"linux", "amd64", ""}, {"windows", "amd64", ""}, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(platform_matches(c.want, c.have), c.match) << c.want.str() << " vs " << c.have.str();
  }
}

TEST(Platform, HostIsNormalizedLinux) {
  Platform host = host_platform();
  EXPECT_EQ(host.os, "linux");
  EXPECT_FALSE(host.architecture.empty());
  EXPECT_EQ(normalize_platform(host), host);
}

}  // namespace
}  // namespace cairn
