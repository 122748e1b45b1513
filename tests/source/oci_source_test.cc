#include <gtest/gtest.h>

#include "oci/media_types.h"
#include "source/source.h"
#include "support/source_fixtures.h"
#include "support/temp_dir_test.h"

namespace cairn {
namespace {

using testing::FileSet;
using testing::FixtureImage;
using testing::make_layer_tar;
using testing::OciLayoutFixture;
using testing::read_layer;

class OciSourceTest : public testing::TempDirTest {
 protected:
  std::string write_dir(const FileSet& files, const std::string& name = "layout") {
    std::string dir = path(name);
    EXPECT_TRUE(files.write_dir(dir));
    return dir;
  }
  std::string write_tar(const FileSet& files, const std::string& name = "layout.tar") {
    return write_file(name, files.to_tar());
  }
  static Result<ImagePlan> plan(const std::string& uri, const char* platform = "linux/amd64") {
    SourceOptions options;
    if (platform) options.platform = platform;
    return plan_image(uri, options);
  }
};

TEST_F(OciSourceTest, SelectsByTag) {
  OciLayoutFixture oci;
  FixtureImage one = oci.add_image({make_layer_tar("a")});
  FixtureImage two = oci.add_image({make_layer_tar("a"), make_layer_tar("b")});
  oci.list(one.manifest, "one");
  oci.list(two.manifest, "two");
  std::string dir = write_dir(oci.files());

  auto p = plan("oci:" + dir + ":two");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->source, "oci:" + dir + ":two");
  EXPECT_EQ(p->default_name, "two");
  EXPECT_EQ(p->manifest_digest, two.manifest.digest);
  EXPECT_EQ(Digest::of(p->manifest), two.manifest.digest);
  EXPECT_EQ(p->config_digest, two.config.digest);
  ASSERT_EQ(p->layers.size(), 2u);
  EXPECT_EQ(p->layers[1].diff_id, two.diff_ids[1]);
  EXPECT_EQ(p->layers[1].blob_digest, two.diff_ids[1]);
  EXPECT_EQ(p->layers[1].compression, Compression::none);
  EXPECT_EQ(p->layers[1].size, make_layer_tar("b").size());
  EXPECT_EQ(read_layer(p->layers[1]), make_layer_tar("b"));
  EXPECT_EQ(read_layer(p->layers[1]), make_layer_tar("b")) << "open() is repeatable";

  auto ambiguous = plan("oci:" + dir);
  ASSERT_FALSE(ambiguous);
  EXPECT_TRUE(ambiguous.error().is(Errc::usage));
  EXPECT_NE(ambiguous.error().message().find("one, two"), std::string::npos);

  auto missing = plan("oci:" + dir + ":three");
  ASSERT_FALSE(missing);
  EXPECT_TRUE(missing.error().is(Errc::not_found));
}

TEST_F(OciSourceTest, SingleImageNeedsNoTagAndDirMayContainColon) {
  OciLayoutFixture oci;
  FixtureImage image = oci.add_image({make_layer_tar("a")});
  oci.list(image.manifest);
  std::string dir = write_dir(oci.files(), "with:colon");
  auto p = plan("oci:" + dir);
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->config_digest, image.config.digest);
  EXPECT_EQ(p->default_name, "");
}

TEST_F(OciSourceTest, ResolvesNestedIndexToPlatform) {
  OciLayoutFixture oci;
  FixtureImage amd = oci.add_image({make_layer_tar("amd")}, "amd64");
  FixtureImage arm = oci.add_image({make_layer_tar("arm")}, "arm64", "v8");
  FixtureImage armv7 = oci.add_image({make_layer_tar("armv7")}, "arm", "v7");
  auto index = oci.add_index({{armv7.manifest, "linux/arm/v7"},
                              {arm.manifest, "linux/arm64/v8"},
                              {amd.manifest, "linux/amd64"}});
  oci.list(index, "multi");
  std::string dir = write_dir(oci.files());
  struct Case {
    const char* platform;
    const FixtureImage* want;
  } cases[] = {{"linux/amd64", &amd},
               {"linux/arm64", &arm},
               {"linux/aarch64", &arm},
               {"linux/arm/v7", &armv7}};
  for (const Case& c : cases) {
    auto p = plan("oci:" + dir + ":multi", c.platform);
    ASSERT_TRUE(p) << c.platform << ": " << p.error().message();
    EXPECT_EQ(p->manifest_digest, c.want->manifest.digest) << c.platform;
    EXPECT_EQ(p->config_digest, c.want->config.digest) << c.platform;
  }
  auto none = plan("oci:" + dir + ":multi", "linux/s390x");
  ASSERT_FALSE(none);
  EXPECT_TRUE(none.error().is(Errc::not_found));
  EXPECT_NE(none.error().message().find("linux/arm64/v8"), std::string::npos);
}

TEST_F(OciSourceTest, UntaggedTopLevelEntriesActAsManifestList) {
  OciLayoutFixture oci;
  FixtureImage amd = oci.add_image({make_layer_tar("amd")}, "amd64");
  FixtureImage arm = oci.add_image({make_layer_tar("arm")}, "arm64");
  oci.list(arm.manifest, "", "linux/arm64");
  oci.list(amd.manifest, "", "linux/amd64");
  std::string dir = write_dir(oci.files());
  auto p = plan("oci:" + dir, "linux/arm64");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->config_digest, arm.config.digest);
}

TEST_F(OciSourceTest, ReadsOciArchiveInPlace) {
  OciLayoutFixture oci;
  FixtureImage image = oci.add_image({make_layer_tar("a"), make_layer_tar("b")});
  oci.list(image.manifest, "latest");
  std::string file = write_tar(oci.files());
  for (std::string uri : {"oci-archive:" + file, "oci-archive:" + file + ":latest"}) {
    auto p = plan(uri);
    ASSERT_TRUE(p) << uri << ": " << p.error().message();
    EXPECT_EQ(p->default_name, "latest");
    ASSERT_EQ(p->layers.size(), 2u);
    EXPECT_EQ(read_layer(p->layers[0]), make_layer_tar("a"));
    EXPECT_EQ(read_layer(p->layers[1]), make_layer_tar("b"));
  }
}

TEST_F(OciSourceTest, RejectsTruncatedArchive) {
  OciLayoutFixture oci;
  FixtureImage image = oci.add_image({std::string(5000, 'x')});
  oci.list(image.manifest);
  std::string tar = oci.files().to_tar();
  std::string cut = write_file("cut.tar", tar.substr(0, tar.size() / 2 + 100));
  auto p = plan("oci-archive:" + cut);
  ASSERT_FALSE(p);
  EXPECT_TRUE(p.error().is(Errc::bad_input)) << p.error().message();
}

TEST_F(OciSourceTest, RejectsCorruptLayouts) {
  OciLayoutFixture base;
  FixtureImage image = base.add_image({make_layer_tar("a")});
  base.list(image.manifest);
  auto config_path = "blobs/sha256/" + std::string(image.config.digest.hex());
  auto layer_path = "blobs/sha256/" + std::string(image.diff_ids[0].hex());
  auto manifest_path = "blobs/sha256/" + std::string(image.manifest.digest.hex());
  std::string manifest = base.files().files.at(manifest_path);
  auto with_manifest = [&](const std::string& text) {
    // The index points at the rewritten manifest by its new digest.
    OciLayoutFixture fresh;
    fresh.extra() = base.files();
    fresh.extra().files.erase("index.json");
    auto blob = fresh.add_blob(text, std::string(media_type::k_oci_manifest));
    fresh.list(blob);
    return fresh.files();
  };
  auto replace = [](std::string s, const std::string& from, const std::string& to) {
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  struct Case {
    const char* name;
    FileSet files;
    Errc want;
  };
  std::vector<Case> cases;
  {
    FileSet f = base.files();
    f.files[config_path] += " ";
    cases.push_back({"config digest mismatch", f, Errc::digest_mismatch});
  }
  {
    FileSet f = base.files();
    f.files.erase(layer_path);
    cases.push_back({"missing layer blob", f, Errc::not_found});
  }
  {
    FileSet f = base.files();
    f.files[manifest_path] = replace(manifest, "}", " }");
    cases.push_back({"manifest digest mismatch", f, Errc::digest_mismatch});
  }
  cases.push_back({"traversal digest",
                   with_manifest(replace(manifest, image.diff_ids[0].str(),
                                         "sha256:../../../../../../../../etc/passwd")),
                   Errc::bad_input});
  cases.push_back({"schema1",
                   with_manifest(R"({"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]})"),
                   Errc::unsupported});
  {
    auto extra = base.add_blob(make_layer_tar("b"), std::string(media_type::k_oci_layer));
    std::string two_layers = replace(manifest, "]", "," + extra.descriptor().dump() + "]");
    cases.push_back({"layer count mismatch", with_manifest(two_layers), Errc::bad_input});
  }
  {
    FileSet f = base.files();
    f.files.erase("oci-layout");
    cases.push_back({"no oci-layout", f, Errc::not_found});
  }
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string dir = write_dir(cases[i].files, "case" + std::to_string(i));
    auto p = plan("oci:" + dir);
    ASSERT_FALSE(p) << cases[i].name;
    EXPECT_TRUE(p.error().is(cases[i].want)) << cases[i].name << ": " << p.error().message();
  }
}

TEST_F(OciSourceTest, RejectsBadUris) {
  struct Case {
    std::string uri;
    Errc want;
  } cases[] = {
      {"registry.example/foo:latest", Errc::usage},
      {"oci:", Errc::usage},
      {"oci:" + path("nope"), Errc::not_found},
      {"oci-archive:" + path("nope.tar") + ":tag", Errc::not_found},
  };
  for (const Case& c : cases) {
    auto p = plan(c.uri);
    ASSERT_FALSE(p) << c.uri;
    EXPECT_TRUE(p.error().is(c.want)) << c.uri << ": " << p.error().message();
  }
  auto bad_platform = plan("oci:" + temp_dir(), "linux");
  ASSERT_FALSE(bad_platform);
  EXPECT_TRUE(bad_platform.error().is(Errc::usage));
}

}  // namespace
}  // namespace cairn
