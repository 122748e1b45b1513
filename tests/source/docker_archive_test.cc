#include <gtest/gtest.h>

#include "source/source.h"
#include "support/source_fixtures.h"
#include "support/temp_dir_test.h"

namespace cairn {
namespace {

using testing::DockerImageSpec;
using testing::DockerLayerStyle;
using testing::FileSet;
using testing::make_docker_archive;
using testing::make_layer_tar;
using testing::read_layer;

class DockerArchiveTest : public testing::TempDirTest {
 protected:
  std::string write_tar(const FileSet& files, const std::string& name = "image.tar") {
    return write_file(name, files.to_tar());
  }
  static Result<ImagePlan> plan(const std::string& uri) { return plan_image(uri, {}); }
};

const DockerImageSpec k_image{{"example.com/app:1.0"}, {make_layer_tar("a"), make_layer_tar("b")}};

TEST_F(DockerArchiveTest, ReadsEveryLayout) {
  struct Case {
    const char* name;
    DockerLayerStyle style;
  } cases[] = {{"legacy directories", DockerLayerStyle::directory},
               {"podman/skopeo symlinks", DockerLayerStyle::symlink},
               {"docker 25+ OCI form", DockerLayerStyle::oci}};
  for (const Case& c : cases) {
    std::string file = write_tar(make_docker_archive({k_image}, c.style),
                                 std::to_string(static_cast<int>(c.style)) + ".tar");
    auto p = plan("docker-archive:" + file);
    ASSERT_TRUE(p) << c.name << ": " << p.error().message();
    EXPECT_EQ(p->default_name, "example.com/app:1.0") << c.name;
    EXPECT_EQ(Digest::of(p->config), p->config_digest) << c.name;
    EXPECT_FALSE(p->manifest_digest) << c.name;
    ASSERT_EQ(p->layers.size(), 2u) << c.name;
    for (size_t i = 0; i < 2; ++i) {
      const LayerDescriptor& layer = p->layers[i];
      EXPECT_EQ(layer.diff_id, Digest::of(k_image.layer_tars[i])) << c.name;
      EXPECT_EQ(layer.blob_digest, layer.diff_id) << c.name;
      EXPECT_EQ(layer.compression, Compression::none) << c.name;
      EXPECT_EQ(read_layer(layer), k_image.layer_tars[i]) << c.name;
    }
  }
}

TEST_F(DockerArchiveTest, SelectsAmongSeveralImages) {
  DockerImageSpec other{{"busybox:latest", "busybox:1.36"}, {make_layer_tar("c")}};
  std::string file = write_tar(make_docker_archive({k_image, other}, DockerLayerStyle::directory));
  struct Case {
    std::string ref;
    std::string want_name;
    size_t want_layers;
  } cases[] = {
      {"example.com/app:1.0", "example.com/app:1.0", 2},
      {"busybox", "busybox:latest", 1},
      {"docker.io/library/busybox:1.36", "busybox:1.36", 1},
      {"@0", "example.com/app:1.0", 2},
  };
  for (const Case& c : cases) {
    auto p = plan("docker-archive:" + file + ":" + c.ref);
    ASSERT_TRUE(p) << c.ref << ": " << p.error().message();
    EXPECT_EQ(p->default_name, c.want_name) << c.ref;
    EXPECT_EQ(p->layers.size(), c.want_layers) << c.ref;
  }
  auto ambiguous = plan("docker-archive:" + file);
  ASSERT_FALSE(ambiguous);
  EXPECT_TRUE(ambiguous.error().is(Errc::usage));
  EXPECT_NE(ambiguous.error().message().find("busybox:1.36"), std::string::npos);
  auto missing = plan("docker-archive:" + file + ":busybox:2");
  ASSERT_FALSE(missing);
  EXPECT_TRUE(missing.error().is(Errc::not_found));
}

TEST_F(DockerArchiveTest, RejectsCorruptArchives) {
  FileSet base = make_docker_archive({k_image}, DockerLayerStyle::directory);
  std::string config_name;
  for (const auto& [path, data] : base.files) {
    if (path.ends_with(".json") && path != "manifest.json") config_name = path;
  }
  ASSERT_FALSE(config_name.empty());
  struct Case {
    const char* name;
    FileSet files;
    Errc want;
  };
  std::vector<Case> cases;
  {
    FileSet f = base;
    f.files[config_name] += " ";
    cases.push_back({"config digest mismatch", f, Errc::digest_mismatch});
  }
  {
    FileSet f = base;
    for (auto it = f.files.begin(); it != f.files.end(); ++it) {
      if (it->first.ends_with("/layer.tar")) {
        f.files.erase(it);
        break;
      }
    }
    cases.push_back({"missing layer", f, Errc::not_found});
  }
  {
    FileSet f = base;
    f.files["manifest.json"] =
        R"([{"Config":")" + config_name + R"(","RepoTags":null,"Layers":[]}])";
    cases.push_back({"layer count mismatch", f, Errc::bad_input});
  }
  {
    FileSet f = base;
    f.files["manifest.json"] = R"([{"Config":"../../etc/passwd","Layers":[]}])";
    cases.push_back({"config path escapes", f, Errc::bad_input});
  }
  {
    FileSet f = base;
    f.files["manifest.json"] = R"({"Config":"x"})";
    cases.push_back({"malformed manifest.json", f, Errc::bad_input});
  }
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string file = write_tar(cases[i].files, "case" + std::to_string(i) + ".tar");
    auto p = plan("docker-archive:" + file);
    ASSERT_FALSE(p) << cases[i].name;
    EXPECT_TRUE(p.error().is(cases[i].want)) << cases[i].name << ": " << p.error().message();
  }
}

TEST_F(DockerArchiveTest, SniffsCompressedLayers) {
  // A gzip member is recognized by its magic; its blob digest is computed.
  std::string fake_gzip = "\x1f\x8b" + std::string(100, 'z');
  DockerImageSpec spec{{"gz:1"}, {fake_gzip}};
  std::string file = write_tar(make_docker_archive({spec}, DockerLayerStyle::directory));
  auto p = plan("docker-archive:" + file);
  ASSERT_TRUE(p) << p.error().message();
  ASSERT_EQ(p->layers.size(), 1u);
  EXPECT_EQ(p->layers[0].compression, Compression::gzip);
  EXPECT_EQ(p->layers[0].blob_digest, Digest::of(fake_gzip));
}

}  // namespace
}  // namespace cairn
