// Where the global settings come from: flag > environment > config file >
// default, driven through the real binary.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <optional>

#include "oci/platform.h"
#include "store/metadata.h"
#include "support/source_fixtures.h"
#include "support/temp_dir_test.h"
#include "util/sys.h"

namespace cairn {
namespace {

struct CliRun {
  int status;
  std::string err;
};

// Runs `env ENV cairn ARGS` with a clean CAIRN_* environment.
CliRun run_cairn(const std::string& env, const std::string& args, const std::string& err_file) {
  std::string command =
      "env -u CAIRN_ROOT -u CAIRN_BACKEND -u CAIRN_CONFIG -u CAIRN_COMPOSEFS_MODE "
      "-u CAIRN_COMPOSEFS_HYBRID_MIN " +
      env + " " + CAIRN_BINARY + " " + args + " >/dev/null 2>" + err_file;
  int status = std::system(command.c_str());
  auto err = sys::read_file(err_file);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, err ? *err : std::string()};
}

class Settings : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    if (HasFatalFailure()) return;
    write_file("cairn.conf", "# test config\nroot = " + path("from-config") + "\n");
    testing::OciLayoutFixture oci;
    oci.list(oci.add_image({testing::make_layer_tar("settings")}, host_arch()).manifest, "t");
    ASSERT_TRUE(oci.files().write_dir(path("oci")));
  }
  // A command that writes a store (a store is kept only once it holds an image).
  std::string import() const { return "import oci:" + path("oci") + ":t"; }
  static std::string host_arch() {
    auto platform = host_platform();
    return platform.architecture;
  }
  bool store_at(const std::string& name) const { return *sys::exists(path(name) + "/cairn.db"); }
  CliRun run(const std::string& env, const std::string& args) {
    return run_cairn(env, args, path("err"));
  }
};

TEST_F(Settings, ConfigFileNamesTheRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "importing needs root (chown, mknod)";
  EXPECT_EQ(run("CAIRN_CONFIG=" + path("cairn.conf"), import()).status, 0);
  EXPECT_TRUE(store_at("from-config"));
}

TEST_F(Settings, EnvironmentBeatsConfigFile) {
  if (::geteuid() != 0) GTEST_SKIP() << "importing needs root (chown, mknod)";
  std::string env = "CAIRN_CONFIG=" + path("cairn.conf") + " CAIRN_ROOT=" + path("from-env");
  EXPECT_EQ(run(env, import()).status, 0);
  EXPECT_TRUE(store_at("from-env"));
  EXPECT_FALSE(store_at("from-config"));
}

TEST_F(Settings, FlagBeatsEnvironment) {
  if (::geteuid() != 0) GTEST_SKIP() << "importing needs root (chown, mknod)";
  std::string env = "CAIRN_CONFIG=" + path("cairn.conf") + " CAIRN_ROOT=" + path("from-env");
  EXPECT_EQ(run(env, "--root " + path("from-flag") + " " + import()).status, 0);
  EXPECT_TRUE(store_at("from-flag"));
  EXPECT_FALSE(store_at("from-env"));
}

TEST_F(Settings, StoreRemembersItsBackend) {
  if (::geteuid() != 0) GTEST_SKIP() << "importing needs root (chown, mknod)";
  std::string root = "--root " + path("store");
  EXPECT_EQ(run("", root + " --backend dir " + import()).status, 0);
  CliRun other = run("CAIRN_BACKEND=nosuch", root + " images");
  EXPECT_EQ(other.status, 2);
  EXPECT_NE(other.err.find("cairn: error: store was created with backend \"dir\""),
            std::string::npos)
      << other.err;
}

// The threshold a new composefs store records is the one the command chose.
TEST_F(Settings, HybridThresholdFlagBeatsEnvironmentBeatsConfigFile) {
  const std::string config =
      "CAIRN_CONFIG=" + write_file("hybrid.conf", "composefs_hybrid_min = 4\n");
  const std::string env = config + " CAIRN_COMPOSEFS_HYBRID_MIN=3";
  struct Case {
    const char* store;
    std::string env;
    std::string flag;
    std::string recorded;
  };
  const Case cases[] = {
      {"default", "", "", "2"},
      {"config", config, "", "4"},
      {"env", env, "", "3"},
      {"flag", env, "--hybrid-min 5", "5"},
  };
  for (const Case& c : cases) {
    std::string args =
        "--root " + path(c.store) + " --backend composefs " + c.flag + " " + import();
    ASSERT_EQ(run(c.env, args).status, 0) << c.store;
    auto metadata = Metadata::open(path(c.store) + "/cairn.db");
    ASSERT_TRUE(metadata) << metadata.error().message();
    auto recorded = metadata->setting("composefs.hybrid_min_images");
    ASSERT_TRUE(recorded && *recorded) << c.store;
    EXPECT_EQ(**recorded, c.recorded) << c.store;
  }
}

TEST_F(Settings, BadHybridThresholdIsAUsageError) {
  CliRun bad = run("CAIRN_COMPOSEFS_HYBRID_MIN=0",
                   "--root " + path("store") + " --backend composefs " + import());
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("hybrid_min_images must be a number >= 1"), std::string::npos) << bad.err;
}

TEST_F(Settings, BrokenConfigFileIsAUsageError) {
  CliRun bad = run("CAIRN_CONFIG=" + write_file("bad.conf", "root /no/equals/sign\n"), "images");
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("expected key = value"), std::string::npos) << bad.err;
}

TEST_F(Settings, MissingImageIsExitCode3) {
  CliRun missing = run("", "--root " + path("store") + " inspect nosuchimage");
  EXPECT_EQ(missing.status, 3);
  EXPECT_EQ(missing.err.rfind("cairn: error: ", 0), 0u) << missing.err;
}

}  // namespace
}  // namespace cairn
