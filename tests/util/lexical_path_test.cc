#include "util/lexical_path.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(LexicalPath, CleansToTheCanonicalRelativeForm) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"", ""},          {"/", ""},        {"./", ""},          {"a/..", ""},
      {"/a/./b", "a/b"}, {"a//b/", "a/b"}, {"a/b/../c", "a/c"}, {"a/./../..b", "..b"},
  };
  for (const Case& c : cases) EXPECT_EQ(clean_relative_path(c.in), c.out) << c.in;
}

TEST(LexicalPath, RefusesToClimbAboveTheRoot) {
  for (const char* in : {"..", "/../a", "a/../../b", "a/b/../../.."}) {
    EXPECT_EQ(clean_relative_path(in), std::nullopt) << in;
  }
}

}  // namespace
}  // namespace cairn
