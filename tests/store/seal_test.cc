#include "store/seal.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

const std::string k_hex(64, 'a');

std::string config_with(const std::string& labels) {
  return R"({"architecture":"amd64","config":{"Labels":)" + labels + "}}";
}

TEST(ConfigSeal, ReadsTheLabel) {
  auto seal = config_seal(config_with(R"({"containers.composefs.fsverity":")" + k_hex + R"("})"));
  ASSERT_TRUE(seal) << seal.error().message();
  EXPECT_EQ(*seal, k_hex);
}

TEST(ConfigSeal, NoLabelIsNoSeal) {
  for (const std::string& config :
       {std::string(R"({"architecture":"amd64"})"), std::string(R"({"config":null})"),
        config_with("null"), config_with(R"({"other":"x"})")}) {
    auto seal = config_seal(config);
    ASSERT_TRUE(seal) << config << ": " << seal.error().message();
    EXPECT_FALSE(*seal) << config;
  }
}

TEST(ConfigSeal, RefusesMalformedValuesAndConfigs) {
  for (const std::string& value :
       {std::string(R"("ABC")"), "\"" + std::string(64, 'A') + "\"", "\"" + k_hex + "0\"",
        "\"" + std::string(63, 'a') + "g\"", std::string("7"), std::string("null")}) {
    auto seal = config_seal(config_with(R"({"containers.composefs.fsverity":)" + value + "}"));
    ASSERT_FALSE(seal) << value;
    EXPECT_TRUE(seal.error().is(Errc::bad_input)) << value;
  }
  EXPECT_FALSE(config_seal("[]"));
  EXPECT_FALSE(config_seal("not json"));
}

}  // namespace
}  // namespace cairn
