#include "oci/digest.h"

#include <gtest/gtest.h>

#include "oci/chain_id.h"

namespace cairn {
namespace {

TEST(Digest, AcceptsOnlyCanonicalSha256) {
  const std::string good = "sha256:" + std::string(64, 'a');
  EXPECT_TRUE(Digest::parse(good));
  const char* bad[] = {
      "",
      "sha256:",
      "sha512:aaaa",
      "SHA256:"
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      "sha256:../../../../etc/passwdaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  };
  for (const char* text : bad) {
    auto d = Digest::parse(text);
    ASSERT_FALSE(d) << text;
    EXPECT_TRUE(d.error().is(Errc::bad_input));
  }
}

TEST(Digest, OtherRegisteredAlgorithmsAreUnsupportedSayingSo) {
  for (const std::string& text :
       {"sha512:" + std::string(128, 'b'), "sha384:" + std::string(96, 'c')}) {
    auto d = Digest::parse(text);
    ASSERT_FALSE(d) << text;
    EXPECT_TRUE(d.error().is(Errc::unsupported)) << d.error().message();
    EXPECT_NE(d.error().message().find("sha256 only"), std::string::npos) << d.error().message();
  }
}

TEST(Digest, OfComputesSha256) {
  EXPECT_EQ(Digest::of("").str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(ChainId, FollowsOciDefinition) {
  Digest a = Digest::of("a");
  Digest b = Digest::of("b");
  auto chains = chain_ids(std::vector<Digest>{a, b});
  ASSERT_EQ(chains.size(), 2u);
  EXPECT_EQ(chains[0], a);
  EXPECT_EQ(chains[1], Digest::of(a.str() + " " + b.str()));
}

}  // namespace
}  // namespace cairn
