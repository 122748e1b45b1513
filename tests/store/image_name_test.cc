// check_image_name: names that could be read as ids, or that print badly, are refused.
#include "store/image_name.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(ImageName, AcceptsReferenceLikeNames) {
  for (const char* name :
       {"debian", "debian:bookworm", "docker.io/library/debian:12", "127.0.0.1:5000/a/b@latest",
        "abc", "c3c8x", "my_image-1.0", "..a/b..", "deadbeef-1"}) {
    EXPECT_TRUE(check_image_name(name)) << name;
  }
}

TEST(ImageName, RefusesIdsPathsAndUnprintables) {
  struct Case {
    std::string name;
    std::string says;
  };
  const Case cases[] = {
      {"", "is empty"},
      {std::string(256, 'a'), "longer than 255"},
      {"sha256:abcd", "reads as an image id"},
      {"c3c8", "id prefix"},
      {std::string(64, 'f'), "id prefix"},
      {"a/../b", ". or .. component"},
      {"..", ". or .. component"},
      {"./a", ". or .. component"},
      {"a/.", ". or .. component"},
      {"two words", "spaces"},
      {"line\nbreak", "control characters"},
      {"esc\x1b[2J", "control characters"},
      {"caf\xc3\xa9", "non-ASCII"},
  };
  for (const Case& c : cases) {
    auto checked = check_image_name(c.name);
    ASSERT_FALSE(checked) << c.name;
    EXPECT_TRUE(checked.error().is(Errc::usage));
    EXPECT_NE(checked.error().message().find(c.says), std::string::npos)
        << checked.error().message();
  }
}

TEST(ImageName, ShowsUnprintableBytesEscaped) {
  auto checked = check_image_name("a\nb\x1b");
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().message().find("\"a\\x0ab\\x1b\""), std::string::npos)
      << checked.error().message();
}

}  // namespace
}  // namespace cairn
