#include "util/split.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

using Fields = std::vector<std::string_view>;

TEST(Split, KeepsEmptyFields) {
  EXPECT_EQ(split("a/b", '/'), (Fields{"a", "b"}));
  EXPECT_EQ(split("a//b", '/'), (Fields{"a", "", "b"}));
  EXPECT_EQ(split("/a/", '/'), (Fields{"", "a", ""}));
  EXPECT_EQ(split("", '/'), (Fields{""}));
  EXPECT_EQ(split("one two", ' '), (Fields{"one", "two"}));
}

}  // namespace
}  // namespace cairn
