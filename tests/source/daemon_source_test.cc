// Daemon sources: the save command lines, and the save child's TMPDIR (the
// run's scratch directory, where podman save keeps its spool files).
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

using SaveScratchTest = testing::TempDirTest;

// The child runs with TMPDIR = the scratch directory, whatever TMPDIR cairn
// itself has, and writes its files there.
TEST_F(SaveScratchTest, ChildGetsTheScratchDirAsTmpdir) {
  ::setenv("TMPDIR", "/inherited", 1);
  StreamSource source = command_stream_source(
      "test://save", {"sh", "-c", "echo spool > \"$TMPDIR/layer\"; printf %s \"$TMPDIR\""});
  auto stream = source.open(temp_dir());
  ::unsetenv("TMPDIR");
  ASSERT_TRUE(stream) << stream.error().message();
  auto text = read_all((*stream)->reader(), 1 << 10);
  ASSERT_TRUE(text) << text.error().message();
  EXPECT_EQ(*text, temp_dir());
  EXPECT_TRUE((*stream)->close(StreamEnd::complete));
  EXPECT_TRUE(std::filesystem::exists(path("layer")));
}

}  // namespace
}  // namespace cairn
