// Daemon sources: the save command lines, and the save child's private
// TMPDIR (a shell stands in for podman: it writes its files there too).
#include "source/daemon_source.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/temp_dir_test.h"
#include "util/reader.h"

namespace cairn {
namespace {

TEST(DaemonSaveCommand, NamesTheEngineAndItsStorage) {
  DaemonOptions options{.podman_root = "/r", .podman_runroot = "/rr"};
  auto docker = daemon_save_command("dockerd://team/app:1", options);
  ASSERT_TRUE(docker) << docker.error().message();
  EXPECT_EQ(*docker, (std::vector<std::string>{"docker", "save", "team/app:1"}));
  auto podman = daemon_save_command("podman://localhost/app", options);
  ASSERT_TRUE(podman) << podman.error().message();
  EXPECT_EQ(*podman, (std::vector<std::string>{"podman", "--root", "/r", "--runroot", "/rr", "save",
                                               "localhost/app"}));
  for (const char* bad : {"podman://", "dockerd://-o/etc/passwd", "docker://x"}) {
    auto refused = daemon_save_command(bad, {});
    ASSERT_FALSE(refused) << bad;
    EXPECT_TRUE(refused.error().is(Errc::usage)) << refused.error().message();
  }
}

class SaveTempDirTest : public testing::TempDirTest {
 protected:
  bool parent_is_empty() const { return std::filesystem::is_empty(temp_dir()); }
};

// The child sees TMPDIR = a new directory below the parent; what it leaves
// there is gone once the stream is, whether it ran to the end or not.
TEST_F(SaveTempDirTest, ChildGetsItsOwnTmpdirRemovedAfterIt) {
  for (bool read_to_end : {true, false}) {
    SCOPED_TRACE(read_to_end ? "read to the end" : "abandoned");
    const char* script = read_to_end ? "echo spool > \"$TMPDIR/layer\"; printf %s \"$TMPDIR\""
                                     : "mkdir \"$TMPDIR/pipeDir\"; printf %s \"$TMPDIR\"; exec sleep 60";
    StreamSource source = command_stream_source("test://save", {"sh", "-c", script}, temp_dir());
    {
      auto stream = source.open();
      ASSERT_TRUE(stream) << stream.error().message();
      std::string tmpdir(200, '\0');
      auto n = (*stream)->reader().read(std::as_writable_bytes(std::span(tmpdir)));
      ASSERT_TRUE(n) << n.error().message();
      tmpdir.resize(*n);
      EXPECT_TRUE(tmpdir.starts_with(temp_dir() + "/save-")) << tmpdir;
      if (read_to_end) {
        ASSERT_TRUE(read_all((*stream)->reader(), 1 << 10));
        EXPECT_TRUE((*stream)->close(StreamEnd::complete));
        EXPECT_TRUE(std::filesystem::exists(tmpdir + "/layer"));
      } else {
        EXPECT_TRUE(std::filesystem::is_directory(tmpdir + "/pipeDir"));
      }
    }
    EXPECT_TRUE(parent_is_empty());
  }
}

TEST_F(SaveTempDirTest, WithoutParentTheEnvironmentIsInherited) {
  ::setenv("TMPDIR", "/inherited", 1);
  StreamSource source = command_stream_source("test://save", {"sh", "-c", "printf %s \"$TMPDIR\""});
  auto stream = source.open();
  ::unsetenv("TMPDIR");
  ASSERT_TRUE(stream) << stream.error().message();
  auto text = read_all((*stream)->reader(), 1 << 10);
  ASSERT_TRUE(text) << text.error().message();
  EXPECT_EQ(*text, "/inherited");
  EXPECT_TRUE((*stream)->close(StreamEnd::complete));
  EXPECT_TRUE(parent_is_empty());
}

}  // namespace
}  // namespace cairn
