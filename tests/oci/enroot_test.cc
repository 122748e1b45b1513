// The files of an enroot image derived from an OCI config, against what
// enroot's `docker import` writes for the same config.
#include "oci/enroot.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

std::string rc_tail(const std::string& workdir, const std::string& with_args,
                    const std::string& without_args) {
  return "cd \"" + workdir +
         "\" && unset OLDPWD || exit 1\n\n"
         "if [ -s /etc/rc.local ]; then\n    . /etc/rc.local\nfi\n\n"
         "if [ $# -gt 0 ]; then\n    exec " +
         with_args + "\nelse\n    exec " + without_args + "\nfi\n";
}

TEST(EnrootFiles, FromConfigs) {
  struct Case {
    const char* name;
    const char* config;
    std::string rc, environment, fstab;
  } cases[] = {
      {"no config section: /bin/sh in /", R"({"architecture":"amd64"})",
       rc_tail("/", " \"$@\"", " '/bin/sh'"), "", ""},
      {"null fields", R"({"config":{"Env":null,"Cmd":null,"Entrypoint":null,"Volumes":null}})",
       rc_tail("/", " \"$@\"", " '/bin/sh'"), "", ""},
      {"cmd only", R"({"config":{"Env":["PATH=/usr/bin:/bin","A=b c"],"Cmd":["/bin/sh"]}})",
       rc_tail("/", " \"$@\"", " '/bin/sh'"), "PATH=/usr/bin:/bin\nA=b c\n", ""},
      {"entrypoint only", R"({"config":{"Entrypoint":["/init","--x"],"WorkingDir":"/srv"}})",
       rc_tail("/srv", "'/init' '--x' \"$@\"", "'/init' '--x' "), "", ""},
      {"entrypoint and cmd, quotes",
       R"({"config":{"Entrypoint":["sh","-c"],"Cmd":["echo 'hi' $HOME"]}})",
       rc_tail("/", "'sh' '-c' \"$@\"", "'sh' '-c' 'echo '\\''hi'\\'' $HOME'"), "", ""},
      {"labels in document order, volumes sorted",
       R"({"config":{"Labels":{"z":"1","a":"two words","n":3},"Volumes":{"/var/b":{},"/data":{}}}})",
       "# z 1\n# a two words\n# n 3\n\n" + rc_tail("/", " \"$@\"", " '/bin/sh'"), "",
       "tmpfs /data tmpfs x-create=dir,rw,nosuid,nodev\n"
       "tmpfs /var/b tmpfs x-create=dir,rw,nosuid,nodev\n"},
      {"a label cannot add lines, a workdir cannot expand",
       R"({"config":{"Labels":{"evil":"x\nrm -rf /"},"WorkingDir":"/w/$(id)\"`"}})",
       "# evil x rm -rf /\n\n" + rc_tail("/w/\\$(id)\\\"\\`", " \"$@\"", " '/bin/sh'"), "", ""},
  };
  for (const Case& c : cases) {
    auto files = enroot_files(c.config);
    ASSERT_TRUE(files) << c.name << ": " << files.error().message();
    EXPECT_EQ(files->rc, c.rc) << c.name;
    EXPECT_EQ(files->environment, c.environment) << c.name;
    EXPECT_EQ(files->fstab, c.fstab) << c.name;
    EXPECT_TRUE(files->rc_local.starts_with("# This file is sourced by /etc/rc")) << c.name;
  }
}

TEST(EnrootFiles, RejectsNonObjects) {
  for (const char* config : {"", "[]", "{", "\"x\""}) {
    auto files = enroot_files(config);
    ASSERT_FALSE(files) << config;
    EXPECT_TRUE(files.error().is(Errc::bad_input)) << config;
  }
}

TEST(EnrootFiles, CreatedSeconds) {
  struct Case {
    const char* config;
    std::uint32_t want;
  } cases[] = {
      {R"({"created":"2023-11-14T22:13:20Z"})", 1700000000},
      {R"({"created":"2023-11-14T22:13:20.123456789Z"})", 1700000000},
      {R"({"created":"2023-11-14T23:13:20+01:00"})", 1700000000},
      {R"({"created":"2023-11-14T21:13:20-01:00"})", 1700000000},
      {R"({"created":"1960-01-01T00:00:00Z"})", 0},
      {R"({"created":"2200-01-01T00:00:00Z"})", 4294967295u},
      {R"({"created":"yesterday"})", 0},
      {R"({"created":7})", 0},
      {R"({})", 0},
      {"not json", 0},
  };
  for (const Case& c : cases) EXPECT_EQ(config_created_seconds(c.config), c.want) << c.config;
}

TEST(EnrootUri, ToCairnSource) {
  struct Case {
    const char* enroot;
    const char* cairn;  // nullptr: refused (usage)
  } cases[] = {
      {"docker://ubuntu", "docker://ubuntu"},
      {"docker://ubuntu:24.04", "docker://ubuntu:24.04"},
      {"docker://nvcr.io#nvidia/pytorch:24.01-py3", "docker://nvcr.io/nvidia/pytorch:24.01-py3"},
      {"docker://user@nvcr.io#nvidia/cuda", "docker://nvcr.io/nvidia/cuda"},
      {"docker://$oauthtoken@nvcr.io#nvidia/cuda:12", "docker://nvcr.io/nvidia/cuda:12"},
      {"docker://127.0.0.1:5000#cairn/base:v1", "docker://127.0.0.1:5000/cairn/base:v1"},
      {"docker://library/alpine:3", "docker://library/alpine:3"},
      {"oci:/srv/layout:base", "oci:/srv/layout:base"},
      {"oci-archive:/srv/a.tar", "oci-archive:/srv/a.tar"},
      {"dockerd://alpine", "dockerd://alpine"},
      {"docker://Ubuntu", nullptr},
      {"docker://", nullptr},
      {"docker://a#", nullptr},
      {"docker://ubuntu:bad tag", nullptr},
  };
  for (const Case& c : cases) {
    auto got = cairn_uri_from_enroot(c.enroot);
    if (!c.cairn) {
      ASSERT_FALSE(got) << c.enroot << " -> " << *got;
      EXPECT_TRUE(got.error().is(Errc::usage)) << c.enroot;
      continue;
    }
    ASSERT_TRUE(got) << c.enroot << ": " << got.error().message();
    EXPECT_EQ(*got, c.cairn) << c.enroot;
  }
}

}  // namespace
}  // namespace cairn
