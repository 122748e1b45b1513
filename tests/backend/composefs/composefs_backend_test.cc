// The composefs backend through the ChainBuild protocol: which layers a
// build asks for (any subset: layers are independent), what finish()
// publishes, and what collect() removes.
#include "backend/composefs/composefs_backend.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "oci/chain_id.h"
#include "support/entry_fixtures.h"
#include "support/temp_dir_test.h"
#include "util/sys.h"
#include "util/temp_dir.h"

namespace cairn::composefs {
namespace {

using cairn::testing::file;
using cairn::testing::Layer;

std::string big(char c) {
  return std::string(1000, c);
}

// Layers by name; each holds one shared object and one object of its own.
Layer layer_named(const std::string& name) {
  return {file("shared", big('s')), file(name, big(name[0])), file(name + ".small", name)};
}

class ComposefsBackendTest : public testing::TempDirTest {
 protected:
  ComposefsBackendTest() : TempDirTest("/var/tmp") {}
  virtual Mode backend_mode() const { return Mode::flat; }

  void SetUp() override {
    TempDirTest::SetUp();
    if (HasFatalFailure()) return;
    auto backend = ComposefsBackend::open(temp_dir(), backend_mode());
    ASSERT_TRUE(backend) << backend.error().message();
    m_backend = std::move(*backend);
  }

  static std::vector<ChainLink> chain_of(const std::vector<std::string>& names) {
    std::vector<Digest> diff_ids;
    for (const std::string& n : names) diff_ids.push_back(Digest::of("layer " + n));
    std::vector<Digest> chains = chain_ids(diff_ids);
    std::vector<ChainLink> links;
    for (size_t i = 0; i < names.size(); ++i) links.push_back({diff_ids[i], chains[i]});
    return links;
  }

  // Runs the import protocol; returns which layers were needed.
  std::vector<size_t> build(const std::vector<std::string>& names, bool finish = true) {
    return build_in(*m_backend, names, finish);
  }
  std::vector<size_t> build_in(ComposefsBackend& backend, const std::vector<std::string>& names,
                               bool finish = true) {
    auto chain = chain_of(names);
    auto b = backend.begin_build(chain);
    EXPECT_TRUE(b) << b.error().message();
    std::vector<size_t> needed;
    for (size_t i = 0; i < names.size(); ++i) {
      if (!(*b)->needs_layer(i)) continue;
      needed.push_back(i);
      auto sink = (*b)->begin_layer(i);
      EXPECT_TRUE(sink);
      auto custom = m_layers.find(names[i]);
      EXPECT_TRUE(cairn::testing::apply_layer(
          **sink, custom != m_layers.end() ? custom->second : layer_named(names[i])));
      EXPECT_TRUE((*b)->commit_layer(i));
    }
    if (finish) {
      auto done = (*b)->finish();
      EXPECT_TRUE(done) << done.error().message();
    }
    return needed;
  }

  bool has_image(const std::vector<std::string>& names) {
    auto present = m_backend->has_image(chain_of(names).back().chain_id);
    return present && *present;
  }
  bool indexed(const std::string& name) {
    return *sys::exists(m_backend->index_path(Digest::of("layer " + name)));
  }
  size_t object_count() { return m_backend->objects().list()->size(); }

  std::unique_ptr<ComposefsBackend> m_backend;
  std::map<std::string, Layer> m_layers;  // layers by name, else layer_named()
};

TEST_F(ComposefsBackendTest, IngestsOnlyLayersWithoutAnIndex) {
  EXPECT_EQ(build({"a", "b"}), (std::vector<size_t>{0, 1}));
  EXPECT_TRUE(has_image({"a", "b"}));
  EXPECT_EQ(object_count(), 3u);  // shared, a, b
  EXPECT_EQ(build({"a", "c"}), (std::vector<size_t>{1}));
  EXPECT_EQ(build({"c", "a"}), (std::vector<size_t>{}));
  EXPECT_TRUE(has_image({"c", "a"}));
  EXPECT_EQ(build({"d", "b", "d"}), (std::vector<size_t>{0}));
  EXPECT_EQ(object_count(), 5u);
}

TEST_F(ComposefsBackendTest, NothingIsPublishedWithoutFinish) {
  build({"a", "b"}, false);
  EXPECT_FALSE(indexed("a"));
  EXPECT_FALSE(has_image({"a", "b"}));
  EXPECT_EQ(build({"a", "b"}), (std::vector<size_t>{0, 1}));
}

TEST_F(ComposefsBackendTest, CollectKeepsWhatKeptImagesReference) {
  build({"a", "b"});
  build({"a", "c"});
  build({"c", "a"});
  ASSERT_TRUE(m_backend->collect({chain_of({"a", "c"}).back().chain_id}));
  EXPECT_TRUE(has_image({"a", "c"}));
  EXPECT_FALSE(has_image({"a", "b"}));
  EXPECT_FALSE(has_image({"c", "a"}));
  EXPECT_TRUE(indexed("a"));
  EXPECT_TRUE(indexed("c"));
  EXPECT_FALSE(indexed("b"));
  EXPECT_EQ(object_count(), 3u);  // shared, a, c
  ASSERT_TRUE(m_backend->collect({}));
  EXPECT_FALSE(indexed("a"));
  EXPECT_EQ(object_count(), 0u);
  // Fan-out directories go with their last object.
  EXPECT_EQ(sys::list_directory(m_backend->objects().dir())->size(), 0u);
}

TEST_F(ComposefsBackendTest, MountedImagesSurviveCollectUntilUnmounted) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (erofs and overlay mounts)";
  build({"a", "b"});
  const Digest top = chain_of({"a", "b"}).back().chain_id;
  auto path = m_backend->mount_image(top, "");
  ASSERT_TRUE(path) << path.error().message();
  EXPECT_EQ(*path, *m_backend->default_mount_point(top));
  EXPECT_EQ(*sys::read_file(*path + "/b"), big('b'));
  ASSERT_TRUE(m_backend->collect({}));
  EXPECT_TRUE(has_image({"a", "b"}));
  EXPECT_EQ(*sys::read_file(*path + "/shared"), big('s'));
  ASSERT_TRUE(m_backend->unmount(*path));
  EXPECT_FALSE(*sys::exists(*path));
  ASSERT_TRUE(m_backend->collect({}));
  EXPECT_FALSE(has_image({"a", "b"}));
  EXPECT_EQ(object_count(), 0u);
}

TEST_F(ComposefsBackendTest, MergeErrorsFailTheBuild) {
  auto chain = chain_of({"evil"});
  auto b = m_backend->begin_build(chain);
  ASSERT_TRUE(b);
  auto sink = (*b)->begin_layer(0);
  ASSERT_TRUE(sink);
  ASSERT_TRUE(cairn::testing::apply_layer(**sink, {cairn::testing::symlink("l", "/etc"),
                                                   file("big", big('b')), file("l/passwd", "x")}));
  ASSERT_TRUE((*b)->commit_layer(0));
  auto done = (*b)->finish();
  ASSERT_FALSE(done);
  EXPECT_TRUE(done.error().is(Errc::unsafe_path)) << done.error().message();
  EXPECT_FALSE(has_image({"evil"}));
  EXPECT_FALSE(indexed("evil"));
  EXPECT_EQ(object_count(), 0u);
}

class PerLayerBackendTest : public ComposefsBackendTest {
 protected:
  Mode backend_mode() const override { return Mode::per_layer; }
  bool layer_image(const std::vector<std::string>& names) {
    return *sys::exists(m_backend->layer_image_path(chain_of(names).back().chain_id));
  }
};

TEST_F(PerLayerBackendTest, OneImagePerChainPositionSharedAndCollected) {
  build({"a", "b"});
  build({"a", "c"});
  EXPECT_TRUE(layer_image({"a"}));
  EXPECT_TRUE(layer_image({"a", "b"}));
  EXPECT_TRUE(layer_image({"a", "c"}));
  EXPECT_FALSE(*sys::exists(m_backend->image_path(chain_of({"a", "b"}).back().chain_id)));
  auto recipe = m_backend->recipe(chain_of({"a", "b"}).back().chain_id);
  ASSERT_TRUE(recipe);
  EXPECT_EQ(recipe->mode, Mode::per_layer);
  ASSERT_TRUE(m_backend->collect({chain_of({"a", "c"}).back().chain_id}));
  EXPECT_TRUE(layer_image({"a"}));
  EXPECT_FALSE(layer_image({"a", "b"}));
  EXPECT_TRUE(layer_image({"a", "c"}));
  EXPECT_FALSE(indexed("b"));
  ASSERT_TRUE(m_backend->collect({}));
  EXPECT_FALSE(layer_image({"a"}));
  EXPECT_EQ(object_count(), 0u);
}

class HybridBackendTest : public ComposefsBackendTest {
 protected:
  Mode backend_mode() const override { return Mode::hybrid; }
  void SetUp() override {
    ComposefsBackendTest::SetUp();
    using cairn::testing::dir;
    using cairn::testing::marker;
    using cairn::testing::symlink;
    m_layers["base"] = {dir("etc"),     file("etc/os", big('o')),       file("etc/gone", "x"),
                        dir("usr/lib"), file("usr/lib/libc", big('l')), symlink("lib", "usr/lib")};
    m_layers["app1"] = {marker("etc/.wh.gone"), dir("usr/lib"), marker("usr/lib/.wh..wh..opq"),
                        file("usr/lib/libapp", big('1')), file("app1", "one")};
    m_layers["app2"] = {file("etc/os", big('p')), cairn::testing::hardlink("os2", "etc/os"),
                        marker("lib/.wh.libc")};
    m_layers["more"] = {file("more", big('m')), marker(".wh.app1")};
  }
  std::string mounted_listing(ComposefsBackend& backend, const std::vector<std::string>& names) {
    auto path = backend.mount_image(chain_of(names).back().chain_id, "");
    EXPECT_TRUE(path) << path.error().message();
    if (!path) return "";
    std::string listing = cairn::testing::list_tree(*path);
    EXPECT_TRUE(backend.unmount(*path));
    // Stacked overlays show these on directories holding whiteouts to
    // privileged readers (doc/composefs-backend.md, per-layer limits).
    for (std::string noise : {" x:trusted.overlay.opaque=x", " x:trusted.overlay.whiteouts="}) {
      for (size_t at; (at = listing.find(noise)) != std::string::npos;) {
        listing.erase(at, noise.size());
      }
    }
    return listing;
  }
  ImageRecipe recipe_of(const std::vector<std::string>& names) {
    auto recipe = m_backend->recipe(chain_of(names).back().chain_id);
    EXPECT_TRUE(recipe) << recipe.error().message();
    return recipe ? *recipe : ImageRecipe{};
  }
};

TEST_F(HybridBackendTest, SharedPrefixGetsItsOwnImageAndMountsLikeFlat) {
  const std::vector<std::vector<std::string>> images = {
      {"base"}, {"base", "app1"}, {"base", "app2"}, {"base", "app1", "more"}};
  for (const auto& names : images) build(names);
  EXPECT_EQ(recipe_of(images[0]).mode, Mode::flat);  // nothing shared yet
  for (size_t i = 1; i < 3; ++i) {
    ImageRecipe recipe = recipe_of(images[i]);
    EXPECT_EQ(recipe.mode, Mode::hybrid);
    EXPECT_EQ(recipe.prefix, 1u);
    ASSERT_EQ(recipe.files.size(), 2u);
    EXPECT_EQ(recipe.files[0].name, std::string(chain_of({"base"})[0].chain_id.hex()) + ".cfs");
  }
  EXPECT_EQ(recipe_of(images[3]).prefix, 2u);  // base+app1 is shared with image 1
  EXPECT_FALSE(*sys::exists(m_backend->image_path(chain_of(images[2]).back().chain_id)));
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (erofs and overlay mounts)";
  auto flat_dir = TempDir::create("/var/tmp", "cairn-cfs-flat-");
  ASSERT_TRUE(flat_dir);
  auto flat = ComposefsBackend::open(flat_dir->path(), Mode::flat);
  ASSERT_TRUE(flat);
  for (const auto& names : images) {
    build_in(**flat, names);
    const std::string expected = mounted_listing(**flat, names);
    EXPECT_NE(expected, "");
    EXPECT_EQ(mounted_listing(*m_backend, names), expected) << names.back();
  }
}

TEST_F(HybridBackendTest, ThresholdAndCollectKeepThePrefixImage) {
  auto dir = TempDir::create("/var/tmp", "cairn-cfs-k3-");
  ASSERT_TRUE(dir);
  auto backend = ComposefsBackend::open(dir->path(), Mode::hybrid, 3);
  ASSERT_TRUE(backend);
  m_backend = std::move(*backend);
  build({"base"});
  build({"base", "app1"});
  EXPECT_EQ(recipe_of({"base", "app1"}).mode, Mode::flat);  // only 2 images start with base
  build({"base", "app2"});
  EXPECT_EQ(recipe_of({"base", "app2"}).mode, Mode::hybrid);
  EXPECT_EQ(recipe_of({"base", "app1"}).mode, Mode::hybrid);  // re-split: now 3 start with base
  const Digest base = chain_of({"base"})[0].chain_id;
  const Digest app2 = chain_of({"base", "app2"}).back().chain_id;
  ASSERT_TRUE(m_backend->collect({app2}));
  EXPECT_FALSE(has_image({"base"}));
  EXPECT_TRUE(*sys::exists(m_backend->image_path(base)));  // app2's prefix image
  EXPECT_TRUE(*sys::exists(m_backend->diff_image_path(app2)));
  ASSERT_TRUE(m_backend->collect({}));
  EXPECT_EQ(*sys::list_directory(m_backend->images_dir()), std::vector<std::string>{});
  EXPECT_EQ(object_count(), 0u);
  EXPECT_FALSE(ComposefsBackend::open(dir->path(), Mode::hybrid, 0));
}

// A flat image built before its prefix was shared is re-split onto the
// prefix's flat image once it is (the same image digest, its flat file left
// for gc), unless that flat file is itself another image's prefix.
TEST_F(HybridBackendTest, EarlierFlatImagesAreResplitOntoTheSharedPrefix) {
  build({"base", "app1"});
  const ImageRecipe before = recipe_of({"base", "app1"});
  ASSERT_EQ(before.mode, Mode::flat);
  build({"base", "app1", "more"});  // uses base+app1's flat file as its prefix
  build({"base", "app2"});
  EXPECT_EQ(recipe_of({"base", "app2"}).prefix, 1u);
  EXPECT_EQ(recipe_of({"base", "app1"}).mode, Mode::flat);  // its file is a prefix image

  const Digest app1 = chain_of({"base", "app1"}).back().chain_id;
  const Digest app2 = chain_of({"base", "app2"}).back().chain_id;
  ASSERT_TRUE(m_backend->collect({app1, app2}));  // no image uses app1's flat file any more
  build({"base", "app2", "more"});                // the next import re-splits it
  const ImageRecipe after = recipe_of({"base", "app1"});
  EXPECT_EQ(after.mode, Mode::hybrid);
  EXPECT_EQ(after.prefix, 1u);
  ASSERT_TRUE(after.flat_digest);
  EXPECT_EQ(*after.flat_digest, *before.flat_digest);
  EXPECT_TRUE(*sys::exists(m_backend->diff_image_path(app1)));
  ASSERT_TRUE(m_backend->collect({app1, app2}));
  EXPECT_FALSE(*sys::exists(m_backend->image_path(app1)));  // the flat file went with gc
  auto digests = m_backend->derive_digests(after);
  ASSERT_TRUE(digests) << digests.error().message();
  EXPECT_EQ(digests->flat, *before.flat_digest);
  ASSERT_EQ(digests->files.size(), after.files.size());
  for (size_t i = 0; i < after.files.size(); ++i) {
    EXPECT_EQ(digests->files[i].digest, after.files[i].digest) << after.files[i].name;
  }
}

// The base imported after an image on it makes the base a shared prefix.
TEST_F(HybridBackendTest, BaseImportedLaterResplitsTheImagesOnIt) {
  build({"base", "app1"});
  build({"base"});
  const ImageRecipe app1 = recipe_of({"base", "app1"});
  EXPECT_EQ(app1.mode, Mode::hybrid);
  ASSERT_EQ(app1.files.size(), 2u);
  EXPECT_EQ(app1.files[0].name, recipe_of({"base"}).files.at(0).name);
}

// With the threshold lowered, two flat images on one base are split in one
// pass: the longer stacks on the shorter's flat file, which stays flat
// (splitting it too would only add a diff image), in whatever order the
// store lists them.
TEST_F(HybridBackendTest, OnePassKeepsTheFlatFileAnotherSplitStacksOn) {
  auto strict = ComposefsBackend::open(temp_dir(), Mode::hybrid, 3);
  ASSERT_TRUE(strict);
  m_backend = std::move(*strict);
  build({"base", "app1"});
  build({"base", "app1", "more"});
  ASSERT_EQ(recipe_of({"base", "app1", "more"}).mode, Mode::flat);  // 2 < 3
  auto lowered = ComposefsBackend::open(temp_dir(), Mode::hybrid, 2);
  ASSERT_TRUE(lowered);
  m_backend = std::move(*lowered);
  build({"base", "app2"});
  EXPECT_EQ(recipe_of({"base", "app1"}).mode, Mode::flat);
  const ImageRecipe more = recipe_of({"base", "app1", "more"});
  EXPECT_EQ(more.mode, Mode::hybrid);
  EXPECT_EQ(more.prefix, 2u);
  ASSERT_EQ(more.files.size(), 2u);
  EXPECT_EQ(more.files[0].name, recipe_of({"base", "app1"}).files.at(0).name);
}

// A re-split image mounts the tree it mounted when it was flat.
TEST_F(HybridBackendTest, ResplitImageMountsLikeFlat) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (erofs and overlay mounts)";
  build({"base", "app1"});
  build({"base"});
  ASSERT_EQ(recipe_of({"base", "app1"}).mode, Mode::hybrid);
  auto flat_dir = TempDir::create("/var/tmp", "cairn-cfs-flat-");
  ASSERT_TRUE(flat_dir);
  auto flat = ComposefsBackend::open(flat_dir->path(), Mode::flat);
  ASSERT_TRUE(flat);
  build_in(**flat, {"base", "app1"});
  EXPECT_EQ(mounted_listing(*m_backend, {"base", "app1"}),
            mounted_listing(**flat, {"base", "app1"}));
}

TEST(ImageRecipe, RoundTripsAndRejectsDamage) {
  const erofs::VerityDigest file_digest = erofs::fsverity_digest(std::string_view("image"));
  ImageRecipe recipe{Mode::per_layer,
                     {{Digest::of("d1"), Digest::of("c1")}},
                     {{std::string(Digest::of("c1").hex()) + ".layer.cfs", file_digest}},
                     0,
                     erofs::fsverity_digest(std::string_view("flat"))};
  std::string text = serialize_recipe(recipe);
  auto parsed = parse_recipe(text);
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->mode, Mode::per_layer);
  EXPECT_EQ(parsed->chain[0].chain_id, Digest::of("c1"));
  ASSERT_EQ(parsed->files.size(), 1u);
  EXPECT_EQ(parsed->files[0].name, recipe.files[0].name);
  EXPECT_EQ(parsed->files[0].digest, file_digest);
  EXPECT_EQ(parsed->flat_digest, recipe.flat_digest);
  auto v2 = parse_recipe("cairn-composefs-chain 2\nmode flat\nlayer " + Digest::of("d").str() +
                         " " + Digest::of("c").str() + "\n");
  ASSERT_TRUE(v2) << v2.error().message();
  EXPECT_FALSE(v2->flat_digest);
  auto v1 = parse_recipe("cairn-composefs-chain 1\nmode flat\nlayer " + Digest::of("d").str() +
                         " " + Digest::of("c").str() + "\n");
  ASSERT_TRUE(v1) << v1.error().message();
  EXPECT_TRUE(v1->files.empty());
  for (const std::string& bad :
       {std::string(""), text.substr(0, text.size() - 1),
        std::string("cairn-composefs-chain 1\nmode flat\n"),
        std::string("cairn-composefs-chain 1\nmode hybrid\nlayer x y\n"),
        text + "layer " + Digest::of("d").str() + " " + Digest::of("c").str() + "\n",
        std::string("cairn-composefs-chain 2\nmode flat\nlayer ") + Digest::of("d").str() + " " +
            Digest::of("c").str() + "\nerofs ../x " + erofs::verity_hex(file_digest) + "\n",
        text + "flat " + erofs::verity_hex(file_digest) + "\n",
        std::string("cairn-composefs-chain 2\nmode flat\nlayer ") + Digest::of("d").str() + " " +
            Digest::of("c").str() + "\nflat " + erofs::verity_hex(file_digest) + "\n"}) {
    EXPECT_FALSE(parse_recipe(bad)) << bad;
  }
  EXPECT_TRUE(parse_mode("hybrid"));
  ImageRecipe hybrid{Mode::hybrid,
                     {{Digest::of("d1"), Digest::of("c1")}, {Digest::of("d2"), Digest::of("c2")}},
                     {},
                     1,
                     std::nullopt};
  auto reparsed = parse_recipe(serialize_recipe(hybrid));
  ASSERT_TRUE(reparsed) << reparsed.error().message();
  EXPECT_EQ(reparsed->mode, Mode::hybrid);
  EXPECT_EQ(reparsed->prefix, 1u);
  hybrid.prefix = 2;
  EXPECT_FALSE(parse_recipe(serialize_recipe(hybrid)));
  EXPECT_FALSE(parse_mode("layered"));
  EXPECT_TRUE(parse_mode("per-layer"));
}

}  // namespace
}  // namespace cairn::composefs
