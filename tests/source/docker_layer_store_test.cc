#include "source/docker_layer_store.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(SavedRepoTag, IsWhatDockerSaveRecords) {
  const std::vector<std::string> tags = {"busybox:latest", "busybox:1.36",
                                         "127.0.0.1:5000/team/app:v1", "user/tool:latest"};
  struct Case {
    std::string ref;
    std::string name;
  };
  const Case cases[] = {
      {"busybox", "busybox:latest"},
      {"busybox:1.36", "busybox:1.36"},
      {"docker.io/library/busybox", "busybox:latest"},
      {"index.docker.io/library/busybox:1.36", "busybox:1.36"},
      {"docker.io/user/tool", "user/tool:latest"},
      {"127.0.0.1:5000/team/app:v1", "127.0.0.1:5000/team/app:v1"},
      {"127.0.0.1:5000/team/app", ""},  // :latest is not one of its tags
      {"busybox:2", ""},
      {"busybox@sha256:" + std::string(64, 'a'), ""},
      {"0123456789ab", ""},  // an id
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.ref);
    EXPECT_EQ(saved_repo_tag(c.ref, tags), c.name);
  }
}

}  // namespace
}  // namespace cairn
