#include "source/upload_state.h"

#include <gtest/gtest.h>

#include "source/registry_auth.h"

namespace cairn {
namespace {

TEST(UploadRange, ReadsTheBytesHeld) {
  struct Case {
    std::string range;
    std::optional<std::uint64_t> held;  // nullopt: refused
  } cases[] = {
      {"0-0", 0},
      {"0-1", 2},
      {"0-65535", 65536},
      {"bytes=0-99", 100},
      {"1-5", std::nullopt},
      {"0-", std::nullopt},
      {"0-x", std::nullopt},
      {"", std::nullopt},
      {"0-5 ", std::nullopt},
  };
  for (const Case& c : cases) {
    auto held = parse_upload_range(c.range);
    if (c.held) {
      ASSERT_TRUE(held) << c.range << ": " << held.error().message();
      EXPECT_EQ(*held, *c.held) << c.range;
    } else {
      ASSERT_FALSE(held) << c.range;
      EXPECT_TRUE(held.error().is(Errc::bad_input));
    }
  }
}

TEST(UploadState, LocationResolvedAgainstTheRequest) {
  HttpResponse response;
  response.status = 202;
  response.headers = {{"location", "/v2/a/b/blobs/uploads/u1?_state=x"}, {"range", "0-9"}};
  auto state = parse_upload_state(response, "http://127.0.0.1:5000/v2/a/b/blobs/uploads/", "up");
  ASSERT_TRUE(state) << state.error().message();
  EXPECT_EQ(state->location, "http://127.0.0.1:5000/v2/a/b/blobs/uploads/u1?_state=x");
  EXPECT_EQ(state->received, 10u);

  response.headers = {{"range", "0-9"}};
  auto missing = parse_upload_state(response, "http://h/v2/", "upload of X");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("upload of X: HTTP 202 without a Location"),
            std::string::npos);
}

TEST(ResolveUrl, AbsoluteRootedAndRelative) {
  struct Case {
    std::string base, location, want;
  } cases[] = {
      {"http://h:1/v2/r/blobs/uploads/", "https://s3.example/x?sig=1",
       "https://s3.example/x?sig=1"},
      {"http://h:1/v2/r/blobs/uploads/?mount=a", "/v2/r/blobs/uploads/u",
       "http://h:1/v2/r/blobs/uploads/u"},
      {"http://h:1/v2/r/blobs/uploads/", "u?s=1", "http://h:1/v2/r/blobs/uploads/u?s=1"},
      {"http://h:1", "u", "http://h:1/u"},
  };
  for (const Case& c : cases) EXPECT_EQ(resolve_url(c.base, c.location), c.want) << c.location;
}

TEST(QueryParameter, AddedWithTheRightSeparator) {
  EXPECT_EQ(with_query_parameter("http://h/u", "digest", "sha256:ab"),
            "http://h/u?digest=sha256%3Aab");
  EXPECT_EQ(with_query_parameter("http://h/u?_state=x", "digest", "d"),
            "http://h/u?_state=x&digest=d");
}

TEST(TokenScope, PushAddsPushToTheRepositoryEntry) {
  struct Case {
    std::string challenge;
    RegistryAccess access;
    std::string want;
  } cases[] = {
      {"", RegistryAccess::pull, "repository:team/app:pull"},
      {"", RegistryAccess::push, "repository:team/app:pull,push"},
      {"repository:team/app:pull", RegistryAccess::pull, "repository:team/app:pull"},
      {"repository:team/app:pull", RegistryAccess::push, "repository:team/app:pull,push"},
      {"repository:team/app:push,pull", RegistryAccess::push, "repository:team/app:push,pull"},
      // a mount's challenge names the source repository too: kept, ours gets push
      {"repository:lib/base:pull repository:team/app:pull", RegistryAccess::push,
       "repository:lib/base:pull repository:team/app:pull,push"},
      {"repository:lib/base:pull", RegistryAccess::push,
       "repository:lib/base:pull repository:team/app:pull,push"},
      // a repository whose name starts with ours is another repository
      {"repository:team/app/sub:pull", RegistryAccess::push,
       "repository:team/app/sub:pull repository:team/app:pull,push"},
      {"repository:other:pull", RegistryAccess::pull, "repository:other:pull"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(token_scope_for(c.challenge, "team/app", c.access), c.want) << c.challenge;
  }
}

}  // namespace
}  // namespace cairn
