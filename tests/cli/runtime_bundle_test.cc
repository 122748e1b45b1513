// runtime_config: the OCI runtime config `cairn run` derives from an image config.
#include "cli/runtime_bundle.h"

#include <gtest/gtest.h>
#include <signal.h>

#include "support/temp_dir_test.h"
#include "util/sys.h"

namespace cairn::cli {
namespace {

nlohmann::json image_with(nlohmann::json config) {
  return {{"config", std::move(config)}};
}

std::vector<std::string> args_of(const nlohmann::json& image, const RunSpec& run) {
  auto config = runtime_config(image, run, UserIds{}, "/rootfs");
  EXPECT_TRUE(config) << config.error().message();
  return config ? (*config)["process"]["args"].get<std::vector<std::string>>()
                : std::vector<std::string>{};
}

TEST(RuntimeBundle, ArgsAreEntrypointThenCommandElseCmd) {
  struct Case {
    nlohmann::json config;
    std::vector<std::string> command;
    std::vector<std::string> args;
  };
  const Case cases[] = {
      {{{"Cmd", {"sh"}}}, {}, {"sh"}},
      {{{"Cmd", {"sh"}}}, {"ls", "-l"}, {"ls", "-l"}},
      {{{"Entrypoint", {"/init"}}, {"Cmd", {"--serve"}}}, {}, {"/init", "--serve"}},
      {{{"Entrypoint", {"/init"}}, {"Cmd", {"--serve"}}}, {"--debug"}, {"/init", "--debug"}},
      {{{"Entrypoint", {"/init"}}}, {}, {"/init"}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(args_of(image_with(c.config), RunSpec{.command = c.command}), c.args)
        << c.config.dump();
  }
}

TEST(RuntimeBundle, NothingToRunIsAUsageError) {
  auto config = runtime_config(image_with(nlohmann::json::object()), RunSpec{}, UserIds{}, "/r");
  ASSERT_FALSE(config);
  EXPECT_TRUE(config.error().is(Errc::usage));
}

TEST(RuntimeBundle, EnvFlagsReplaceTheImagesAndCwdFallsBack) {
  nlohmann::json image = image_with(
      {{"Cmd", {"sh"}}, {"Env", {"PATH=/bin", "A=image", "B=image"}}, {"WorkingDir", "/app"}});
  auto config = runtime_config(image, RunSpec{.env = {"A=flag", "C=new"}}, UserIds{7, 8}, "/r");
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ((*config)["process"]["env"],
            nlohmann::json({"PATH=/bin", "B=image", "A=flag", "C=new"}));
  EXPECT_EQ((*config)["process"]["cwd"], "/app");
  EXPECT_EQ((*config)["process"]["user"]["uid"], 7);
  EXPECT_EQ((*config)["process"]["user"]["gid"], 8);
  EXPECT_EQ((*config)["root"]["path"], "/r");
  auto bare =
      runtime_config(image_with({{"Cmd", {"sh"}}}), RunSpec{.workdir = ""}, UserIds{}, "/r");
  ASSERT_TRUE(bare);
  EXPECT_EQ((*bare)["process"]["cwd"], "/");
  EXPECT_EQ((*bare)["process"]["env"][0].get<std::string>().rfind("PATH=", 0), 0u);
}

TEST(RuntimeBundle, VolumesBecomeBindMounts) {
  auto volume = parse_volume("/data:/mnt:ro");
  ASSERT_TRUE(volume) << volume.error().message();
  EXPECT_EQ(volume->source, "/data");
  EXPECT_EQ(volume->destination, "/mnt");
  EXPECT_TRUE(volume->read_only);
  for (const char* bad : {"/data", ":/mnt", "/data:mnt", "/data:/mnt:rx", "a:b:c:d"}) {
    EXPECT_FALSE(parse_volume(bad)) << bad;
  }
  auto config =
      runtime_config(image_with({{"Cmd", {"sh"}}}), RunSpec{.volumes = {*volume}}, UserIds{}, "/r");
  ASSERT_TRUE(config);
  EXPECT_EQ((*config)["mounts"].back(), nlohmann::json({{"destination", "/mnt"},
                                                        {"type", "bind"},
                                                        {"source", "/data"},
                                                        {"options", {"rbind", "ro"}}}));
}

TEST(RuntimeBundle, StopSignalByNameOrNumber) {
  EXPECT_EQ(stop_signal(image_with({{"StopSignal", "SIGQUIT"}})), SIGQUIT);
  EXPECT_EQ(stop_signal(image_with({{"StopSignal", "USR1"}})), SIGUSR1);
  EXPECT_EQ(stop_signal(image_with({{"StopSignal", "9"}})), 9);
  EXPECT_EQ(stop_signal(image_with(nlohmann::json::object())), SIGTERM);
}

class RunUser : public testing::TempDirTest {};

TEST_F(RunUser, NamesComeFromTheImagesFiles) {
  ASSERT_TRUE(sys::make_dirs(temp_dir() + "/etc"));
  write_file("etc/passwd", "root:x:0:0::/root:/bin/sh\nweb:x:33:34::/var/www:/bin/sh\n");
  write_file("etc/group", "root:x:0:\nstaff:x:50:\n");
  struct Case {
    const char* user;
    unsigned uid, gid;
  };
  const Case cases[] = {{"", 0, 0},        {"web", 33, 34},       {"33", 33, 34},
                        {"1000", 1000, 0}, {"web:staff", 33, 50}, {"5:6", 5, 6}};
  for (const Case& c : cases) {
    auto ids = resolve_user(c.user, temp_dir());
    ASSERT_TRUE(ids) << c.user << ": " << ids.error().message();
    EXPECT_EQ(ids->uid, c.uid) << c.user;
    EXPECT_EQ(ids->gid, c.gid) << c.user;
  }
  EXPECT_TRUE(resolve_user("nobody", temp_dir()).error().is(Errc::not_found));
  EXPECT_TRUE(resolve_user("web:nogroup", temp_dir()).error().is(Errc::not_found));
}

}  // namespace
}  // namespace cairn::cli
