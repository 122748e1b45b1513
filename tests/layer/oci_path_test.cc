#include "layer/oci_path.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

struct NormalizeCase {
  std::string raw;
  std::string want;
};

TEST(OciPath, NormalizeCleansPaths) {
  const NormalizeCase cases[] = {
      {"", ""},
      {".", ""},
      {"./", ""},
      {"/", ""},
      {"//", ""},
      {"a/..", ""},
      {"./etc/passwd", "etc/passwd"},
      {"/etc/passwd", "etc/passwd"},
      {"etc//apt/./sources.list", "etc/apt/sources.list"},
      {"etc/apt/", "etc/apt"},
      {"a/b/../c", "a/c"},
      {"a/./../..b", "..b"},
      {"...", "..."},
  };
  for (const auto& c : cases) {
    auto normalized = normalize_layer_path(c.raw);
    ASSERT_TRUE(normalized) << c.raw << ": " << normalized.error().message();
    EXPECT_EQ(*normalized, c.want) << c.raw;
  }
}

// umoci clamps these at the root; cairn refuses them.
TEST(OciPath, RefusesPathsClimbingAboveTheRoot) {
  for (std::string raw : {"..", "../..", "a/../../../b", "../../canary/x", "/../canary",
                          "x/../../.wh.victim", "./../.wh..wh..opq"}) {
    auto normalized = normalize_layer_path(raw);
    ASSERT_FALSE(normalized) << raw;
    EXPECT_TRUE(normalized.error().is(Errc::unsafe_path)) << raw;
    auto classified = classify_layer_path(raw);
    ASSERT_FALSE(classified) << raw;
    EXPECT_TRUE(classified.error().is(Errc::unsafe_path)) << raw;
  }
}

struct ClassifyCase {
  std::string raw;
  PathOp op;
  std::string dir;
  std::string name;
};

TEST(OciPath, ClassifiesWhiteoutsOpaqueAndEntries) {
  const ClassifyCase cases[] = {
      {"etc/passwd", PathOp::entry, "etc", "passwd"},
      {"./passwd", PathOp::entry, "", "passwd"},
      {"./", PathOp::entry, "", ""},
      {"etc/.wh.issue", PathOp::whiteout, "etc", "issue"},
      {".wh.etc", PathOp::whiteout, "", "etc"},
      {"a/.wh..wh..opq", PathOp::opaque, "a", ""},
      {"/.wh..wh..opq", PathOp::opaque, "", ""},
      {"a/.wh..wh.plnk", PathOp::whiteout, "a", ".wh.plnk"},
      {"x/../.wh.victim", PathOp::whiteout, "", "victim"},
      {"a/.wh.b/c", PathOp::entry, "a/.wh.b", "c"},
  };
  for (const auto& c : cases) {
    auto lp = classify_layer_path(c.raw);
    ASSERT_TRUE(lp) << c.raw << ": " << lp.error().message();
    EXPECT_EQ(lp->op, c.op) << c.raw;
    EXPECT_EQ(lp->dir, c.dir) << c.raw;
    EXPECT_EQ(lp->name, c.name) << c.raw;
  }
  auto root = classify_layer_path(".");
  ASSERT_TRUE(root);
  EXPECT_TRUE(root->is_root());
}

TEST(OciPath, RefusesWhiteoutsOfDotNamesAndNulBytes) {
  for (std::string raw : {"a/.wh.", "a/.wh..", "a/.wh...", ".wh.."}) {
    auto lp = classify_layer_path(raw);
    ASSERT_FALSE(lp) << raw;
    EXPECT_TRUE(lp.error().is(Errc::unsafe_path)) << raw;
  }
  auto nul = classify_layer_path(std::string("a\0/../../x", 10));
  ASSERT_FALSE(nul);
  EXPECT_TRUE(nul.error().is(Errc::bad_input));
}

TEST(OciPath, SplitsCanonicalPaths) {
  EXPECT_EQ(split_layer_path("a/b/c"),
            std::make_pair(std::string_view("a/b"), std::string_view("c")));
  EXPECT_EQ(split_layer_path("c"), std::make_pair(std::string_view(), std::string_view("c")));
}

}  // namespace
}  // namespace cairn
