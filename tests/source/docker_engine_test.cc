#include "source/docker_engine.h"

#include <gtest/gtest.h>

#include "support/temp_dir_test.h"

namespace cairn {
namespace {

class LocalDockerSocket : public testing::TempDirTest {};

TEST_F(LocalDockerSocket, FollowsDockerHostThenContext) {
  std::string config = temp_dir();
  std::string no_config = path("absent");
  struct Case {
    std::string what;
    DockerEnvironment env;
    std::optional<std::string> socket;
  };
  const Case cases[] = {
      {"nothing set", {"", "", no_config}, "/var/run/docker.sock"},
      {"no config dir", {"", "", ""}, "/var/run/docker.sock"},
      {"unix host",
       {"unix:///run/user/1000/docker.sock", "", no_config},
       "/run/user/1000/docker.sock"},
      {"tcp host", {"tcp://127.0.0.1:2375", "", no_config}, std::nullopt},
      {"ssh host", {"ssh://me@build", "", no_config}, std::nullopt},
      {"host wins over context", {"unix:///d.sock", "remote", no_config}, "/d.sock"},
      {"named context", {"", "remote", no_config}, std::nullopt},
      {"default context", {"", "default", no_config}, "/var/run/docker.sock"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(local_docker_socket(c.env), c.socket);
  }
  write_file("config.json", R"({"auths": {}, "currentContext": "remote"})");
  EXPECT_EQ(local_docker_socket({"", "", config}), std::nullopt);
  EXPECT_EQ(local_docker_socket({"", "default", config}), "/var/run/docker.sock");
  write_file("config.json", R"({"currentContext": "default"})");
  EXPECT_EQ(local_docker_socket({"", "", config}), "/var/run/docker.sock");
  write_file("config.json", "not json");
  EXPECT_EQ(local_docker_socket({"", "", config}), "/var/run/docker.sock");
}

TEST(DockerEngine, NoDaemonIsAnIoError) {
  DockerEngine engine("/nonexistent/docker.sock");
  auto info = engine.info();
  ASSERT_FALSE(info);
  EXPECT_TRUE(info.error().is_errno(ECONNREFUSED)) << info.error().message();
  EXPECT_NE(info.error().message().find("/nonexistent/docker.sock"), std::string::npos);
}

}  // namespace
}  // namespace cairn
