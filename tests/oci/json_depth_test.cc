// The nesting bound on JSON from outside, and that the image document
// parsers apply it before parsing.
#include "oci/json_depth.h"

#include <gtest/gtest.h>

#include <string>

#include "oci/manifest.h"

namespace cairn {
namespace {

std::string nested(size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

TEST(JsonDepth, CountsArraysAndObjectsButNotStrings) {
  EXPECT_FALSE(json_deeper_than(R"({"a": [1, {"b": []}]})", 4));
  EXPECT_TRUE(json_deeper_than(R"({"a": [1, {"b": []}]})", 3));
  EXPECT_FALSE(json_deeper_than(R"({"a": "[[[[{{{{", "b": "\"[[["})", 1));
  EXPECT_FALSE(json_deeper_than(nested(k_max_json_depth)));
  EXPECT_TRUE(json_deeper_than(nested(k_max_json_depth + 1)));
  EXPECT_FALSE(json_deeper_than("]]]]"));  // not JSON: no depth below zero
}

TEST(JsonDepth, ADeeplyNestedConfigIsRefusedBeforeItIsParsed) {
  const std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers",)"
                             R"("diff_ids":[]},"x":)" +
                             nested(500000) + "}";
  auto parsed = parse_config(config, "config");
  ASSERT_FALSE(parsed);
  EXPECT_TRUE(parsed.error().is(Errc::bad_input));
  EXPECT_NE(parsed.error().message().find("nested deeper than 100 levels"), std::string::npos);
}

}  // namespace
}  // namespace cairn
