#include "backend/cow_chain.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "util/sys.h"
#include "util/temp_dir.h"

namespace cairn {
namespace {

Digest d(const std::string& name) {
  return Digest::of(name);
}

struct UnneededCase {
  const char* label;
  std::map<Digest, std::optional<Digest>> layers;
  std::set<Digest> keep;
  std::vector<Digest> expected;
};

class Unneeded : public ::testing::TestWithParam<UnneededCase> {};

// Which layers; the order is checked by UnneededOrder.
TEST_P(Unneeded, KeepsAncestorsOfKeptChains) {
  const UnneededCase& c = GetParam();
  auto got = unneeded_layers(c.layers, c.keep);
  auto expected = c.expected;
  std::sort(got.begin(), got.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(got, expected);
}

// a <- b <- c, a <- x (two images sharing base a)
std::map<Digest, std::optional<Digest>> tree() {
  return {{d("a"), std::nullopt}, {d("b"), d("a")}, {d("c"), d("b")}, {d("x"), d("a")}};
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Unneeded,
    ::testing::Values(UnneededCase{"keep_all_tops", tree(), {d("c"), d("x")}, {}},
                      UnneededCase{"drop_one_branch", tree(), {d("x")}, {d("c"), d("b")}},
                      UnneededCase{"keep_intermediate", tree(), {d("b")}, {d("c"), d("x")}},
                      UnneededCase{"drop_everything", tree(), {}, {d("c"), d("b"), d("a"), d("x")}},
                      UnneededCase{"unknown_keep_is_ignored", tree(), {d("zzz"), d("c")}, {d("x")}},
                      UnneededCase{"orphan_parent_unknown", {{d("o"), d("gone")}}, {}, {d("o")}}),
    [](const auto& param_info) { return std::string(param_info.param.label); });

TEST(UnneededOrder, EveryChildBeforeItsParent) {
  auto order = unneeded_layers(tree(), {});
  auto pos = [&](const Digest& x) {
    return std::find(order.begin(), order.end(), x) - order.begin();
  };
  ASSERT_EQ(order.size(), 4u);
  EXPECT_LT(pos(d("c")), pos(d("b")));
  EXPECT_LT(pos(d("b")), pos(d("a")));
  EXPECT_LT(pos(d("x")), pos(d("a")));
}

// CowLayers on plain directories: "snapshots" start empty, which is enough
// to check the protocol (naming, publish order, discard).
class FakeLayers final : public CowLayers {
 public:
  explicit FakeLayers(std::string dir) : m_dir(std::move(dir)) {}
  Result<bool> has_layer(const Digest& chain_id) override { return published.contains(chain_id); }
  Result<StagedLayer> stage(const std::string& tag, const Digest* parent) override {
    staged_parents.push_back(parent ? std::optional<Digest>(*parent) : std::nullopt);
    std::string path = m_dir + "/" + tag.substr(0, 12) + ".tmp";
    if (::mkdir(path.c_str(), 0755) != 0) return fail_errno(errno, "mkdir " + path);
    return StagedLayer{
        .handle = path, .path = path, .parent = parent ? std::optional(*parent) : std::nullopt};
  }
  Result<void> publish(const ChainLink& link, const StagedLayer& staged) override {
    if (fail_publish) return fail(Errc::corrupt_store, "publish refused");
    published.insert(link.chain_id);
    return sys::remove_tree(staged.path);
  }
  void discard(const StagedLayer& staged) override {
    discarded.push_back(staged.handle);
    (void)sys::remove_tree(staged.path);
  }
  void unpublish(const Digest& chain_id) override {
    EXPECT_TRUE(std::filesystem::is_empty(m_dir)) << "unpublished before the staging was dropped";
    unpublished.push_back(chain_id);
    published.erase(chain_id);
  }

  std::set<Digest> published;
  std::vector<std::optional<Digest>> staged_parents;
  std::vector<std::string> discarded;
  std::vector<Digest> unpublished;
  bool fail_publish = false;

 private:
  std::string m_dir;
};

class CowChainBuildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("/tmp", "cairn-cow-test-");
    ASSERT_TRUE(dir) << dir.error().message();
    m_dir.emplace(std::move(*dir));
    m_layers.emplace(m_dir->path());
  }
  std::vector<ChainLink> chain(size_t n) {
    std::vector<ChainLink> links;
    for (size_t i = 0; i < n; ++i)
      links.push_back({d("diff" + std::to_string(i)), d("chain" + std::to_string(i))});
    return links;
  }
  Result<void> run_layer(ChainBuild& build, size_t i) {
    ASSIGN_OR_RETURN(LayerSink * sink, build.begin_layer(i));
    TRY(sink->finish());
    return build.commit_layer(i);
  }

  std::optional<TempDir> m_dir;
  std::optional<FakeLayers> m_layers;
};

TEST_F(CowChainBuildTest, BuildsMissingSuffixOnParents) {
  auto links = chain(3);
  m_layers->published.insert(links[0].chain_id);
  auto build = CowChainBuild::begin(*m_layers, links);
  ASSERT_TRUE(build) << build.error().message();
  EXPECT_FALSE((*build)->needs_layer(0));
  EXPECT_TRUE((*build)->needs_layer(1));
  ASSERT_TRUE(run_layer(**build, 1));
  ASSERT_TRUE(run_layer(**build, 2));
  ASSERT_TRUE((*build)->finish());
  EXPECT_EQ(m_layers->published.size(), 3u);
  std::vector<std::optional<Digest>> parents = {links[0].chain_id, links[1].chain_id};
  EXPECT_EQ(m_layers->staged_parents, parents);
  EXPECT_TRUE(m_layers->discarded.empty());
}

TEST_F(CowChainBuildTest, BaseLayerHasNoParent) {
  auto build = CowChainBuild::begin(*m_layers, chain(1));
  ASSERT_TRUE(build);
  ASSERT_TRUE(run_layer(**build, 0));
  ASSERT_EQ(m_layers->staged_parents.size(), 1u);
  EXPECT_FALSE(m_layers->staged_parents[0]);
}

// An abandoned build drops what it staged, then unpublishes what it
// published, newest first; layers it found published stay.
TEST_F(CowChainBuildTest, AbandonedBuildLeavesTheStoreAsItWas) {
  auto links = chain(4);
  m_layers->published.insert(links[0].chain_id);
  {
    auto build = CowChainBuild::begin(*m_layers, links);
    ASSERT_TRUE(build);
    ASSERT_TRUE(run_layer(**build, 1));
    ASSERT_TRUE(run_layer(**build, 2));
    ASSERT_TRUE((*build)->begin_layer(3));
  }
  EXPECT_EQ(m_layers->published, std::set<Digest>{links[0].chain_id});
  EXPECT_EQ(m_layers->discarded.size(), 1u);
  EXPECT_EQ(m_layers->unpublished, (std::vector<Digest>{links[2].chain_id, links[1].chain_id}));
}

TEST_F(CowChainBuildTest, FinishedBuildKeepsItsLayers) {
  {
    auto build = CowChainBuild::begin(*m_layers, chain(2));
    ASSERT_TRUE(build);
    ASSERT_TRUE(run_layer(**build, 0));
    ASSERT_TRUE(run_layer(**build, 1));
    ASSERT_TRUE((*build)->finish());
  }
  EXPECT_EQ(m_layers->published.size(), 2u);
  EXPECT_TRUE(m_layers->unpublished.empty());
}

TEST_F(CowChainBuildTest, FailedPublishDiscardsAndFinishRefuses) {
  auto build = CowChainBuild::begin(*m_layers, chain(1));
  ASSERT_TRUE(build);
  m_layers->fail_publish = true;
  EXPECT_FALSE(run_layer(**build, 0));
  EXPECT_EQ(m_layers->discarded.size(), 1u);
  EXPECT_FALSE((*build)->finish());
}

TEST_F(CowChainBuildTest, OutOfOrderLayersAreRefused) {
  auto build = CowChainBuild::begin(*m_layers, chain(3));
  ASSERT_TRUE(build);
  EXPECT_FALSE((*build)->begin_layer(1));
  EXPECT_FALSE((*build)->commit_layer(0));
}

TEST_F(CowChainBuildTest, CompleteChainNeedsNothing) {
  auto links = chain(2);
  for (const auto& link : links) m_layers->published.insert(link.chain_id);
  auto build = CowChainBuild::begin(*m_layers, links);
  ASSERT_TRUE(build);
  EXPECT_FALSE((*build)->needs_layer(0));
  EXPECT_FALSE((*build)->needs_layer(1));
  EXPECT_TRUE((*build)->finish());
}

// Save streams: layers are staged before their ChainIDs are known.
TEST_F(CowChainBuildTest, StreamBuildStagesOnTheLastCommittedLayer) {
  auto links = chain(3);
  m_layers->published.insert(links[1].chain_id);  // another image has it
  CowStreamBuild build(*m_layers);
  for (const ChainLink& link : links) {
    auto sink = build.begin_layer();
    ASSERT_TRUE(sink) << sink.error().message();
    ASSERT_TRUE((*sink)->finish());
    ASSERT_TRUE(build.commit_layer(link));
  }
  auto held = build.finish(links);
  ASSERT_TRUE(held) << held.error().message();
  EXPECT_EQ(*held, 1u);
  EXPECT_EQ(m_layers->published.size(), 3u);
  std::vector<std::optional<Digest>> parents = {std::nullopt, links[0].chain_id, links[1].chain_id};
  EXPECT_EQ(m_layers->staged_parents, parents);
  EXPECT_EQ(m_layers->discarded.size(), 1u);  // the copy of the layer already held
}

TEST_F(CowChainBuildTest, StreamBuildRefusesAnotherChainAndLeavesTheStoreOnAbandon) {
  auto links = chain(3);
  m_layers->published.insert(links[0].chain_id);  // another image has it
  {
    CowStreamBuild build(*m_layers);
    for (size_t i = 0; i < 2; ++i) {
      ASSERT_TRUE(build.begin_layer());
      ASSERT_TRUE(build.commit_layer(links[i]));
    }
    EXPECT_FALSE(build.finish(links));  // two layers applied, three claimed
    ASSERT_TRUE(build.begin_layer());
    EXPECT_FALSE(build.begin_layer());  // the last one is not committed yet
  }
  EXPECT_EQ(m_layers->published, std::set<Digest>{links[0].chain_id});
  EXPECT_EQ(m_layers->unpublished, std::vector<Digest>{links[1].chain_id});
  EXPECT_EQ(m_layers->discarded.size(), 2u);  // the copy of the held layer, the last one
}

}  // namespace
}  // namespace cairn
