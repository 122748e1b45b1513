#include "source/registry_auth.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/temp_dir_test.h"

namespace cairn {
namespace {

class CredentialsTest : public testing::TempDirTest {
 protected:
  std::optional<Credentials> find(const std::vector<CredentialFile>& files, std::string_view domain,
                                  std::string_view repo) {
    auto found = find_credentials(files, domain, repo);
    EXPECT_TRUE(found) << found.error().message();
    return found ? *found : std::nullopt;
  }
};

TEST_F(CredentialsTest, DockerConfigAuths) {
  std::string json = R"({"auths": {
    "https://index.docker.io/v1/": {"auth": ")" +
                     base64_encode("hub:hubpw") + R"("},
    "quay.io": {"auth": ")" +
                     base64_encode("q:qpw") + R"("},
    "quay.io/team": {"auth": ")" +
                     base64_encode("team:tpw:x") + R"("},
    "127.0.0.1:5000": {"username": "u", "password": "p"}
  }})";
  std::vector<CredentialFile> files = {
      {write_file("config.json", json), CredentialFormat::auth_json}};
  struct Case {
    std::string domain, repo, user, password;
  } cases[] = {
      {"docker.io", "library/alpine", "hub", "hubpw"},
      {"quay.io", "other/app", "q", "qpw"},
      {"quay.io", "team/app", "team", "tpw:x"},
      {"quay.io", "teamx/app", "q", "qpw"},
      {"127.0.0.1:5000", "a", "u", "p"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.domain + "/" + c.repo);
    auto creds = find(files, c.domain, c.repo);
    ASSERT_TRUE(creds);
    EXPECT_EQ(creds->username, c.user);
    EXPECT_EQ(creds->password, c.password);
  }
  EXPECT_FALSE(find(files, "ghcr.io", "a/b"));
}

TEST_F(CredentialsTest, NetrcLikeEnroot) {
  std::string netrc =
      "machine auth.docker.io login hub password hubpw\n"
      "machine 127.0.0.1\n  login local\n  password localpw\n"
      "default login anon password anonpw\n";
  std::vector<CredentialFile> files = {
      {write_file(".credentials", netrc), CredentialFormat::netrc}};
  auto hub = find(files, "docker.io", "library/alpine");
  ASSERT_TRUE(hub);
  EXPECT_EQ(hub->username, "hub");
  auto local = find(files, "127.0.0.1:5000", "x");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->password, "localpw");
  auto other = find(files, "ghcr.io", "x");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->username, "anon");
}

TEST_F(CredentialsTest, AFileOthersCanReadIsNamedInAWarningWithoutItsSecrets) {
  std::string loose = write_file("loose", "machine quay.io login user password s3cret\n");
  std::string tight = write_file("tight", "machine ghcr.io login user password s3cret\n");
  ASSERT_EQ(::chmod(loose.c_str(), 0644), 0);
  ASSERT_EQ(::chmod(tight.c_str(), 0600), 0);
  std::vector<CredentialFile> files = {{loose, CredentialFormat::netrc},
                                       {tight, CredentialFormat::netrc}};
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(find(files, "quay.io", "x"));
  ASSERT_TRUE(find(files, "quay.io", "x"));  // said once
  ASSERT_TRUE(find(files, "ghcr.io", "x"));
  std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(said, "cairn: warning: credentials file " + loose +
                      " can be read by other users (mode 0644); chmod 600 it\n");
  EXPECT_EQ(said.find("s3cret"), std::string::npos);
}

TEST_F(CredentialsTest, FirstFileWinsAndMissingFilesAreSkipped) {
  std::vector<CredentialFile> files = {
      {path("missing.json"), CredentialFormat::auth_json},
      {write_file("a", "machine quay.io login first password 1"), CredentialFormat::netrc},
      {write_file("b", "machine quay.io login second password 2"), CredentialFormat::netrc},
  };
  auto creds = find(files, "quay.io", "x");
  ASSERT_TRUE(creds);
  EXPECT_EQ(creds->username, "first");
}

TEST_F(CredentialsTest, MalformedFilesAreErrors) {
  for (auto [text, format] :
       {std::pair<std::string, CredentialFormat>{"{", CredentialFormat::auth_json},
        {R"({"auths": {"quay.io": {"auth": "!!"}}})", CredentialFormat::auth_json},
        {"host quay.io", CredentialFormat::netrc}}) {
    SCOPED_TRACE(text);
    auto found = find_credentials({{write_file("bad", text), format}}, "quay.io", "x");
    ASSERT_FALSE(found);
    EXPECT_TRUE(found.error().is(Errc::bad_input));
  }
}

TEST(AuthChallenge, ParsesBearerAndBasic) {
  auto bearer = parse_auth_challenge(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull")");
  ASSERT_TRUE(bearer);
  EXPECT_EQ(bearer->scheme, AuthChallenge::Scheme::bearer);
  EXPECT_EQ(bearer->params["realm"], "https://auth.docker.io/token");
  EXPECT_EQ(bearer->params["service"], "registry.docker.io");
  EXPECT_EQ(bearer->params["scope"], "repository:library/alpine:pull");
  auto basic = parse_auth_challenge(R"(basic Realm="Registry Realm")");
  ASSERT_TRUE(basic);
  EXPECT_EQ(basic->scheme, AuthChallenge::Scheme::basic);
  EXPECT_EQ(basic->params["realm"], "Registry Realm");
  auto other = parse_auth_challenge("Negotiate abc");
  ASSERT_FALSE(other);
  EXPECT_TRUE(other.error().is(Errc::unsupported));
}

TEST(Base64, RoundTrips) {
  for (const std::string& text :
       std::vector<std::string>{"", "a", "ab", "abc", "user:pa:ss", std::string("\0\xff\x10", 3)}) {
    auto decoded = base64_decode(base64_encode(text));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, text);
  }
  EXPECT_EQ(base64_encode("user:pass"), "dXNlcjpwYXNz");
  EXPECT_FALSE(base64_decode("a*b"));
}

}  // namespace
}  // namespace cairn
