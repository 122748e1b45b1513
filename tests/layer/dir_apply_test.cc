// OCI layer semantics of DirApplier, table-driven: lower layers, then the
// layer under test, then the expected listing of the whole rootfs.
#include "layer/dir_apply.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "support/apply_cases.h"
#include "util/temp_dir.h"

namespace cairn {
namespace {

using testing::Layer;

class DirApplyCase : public ::testing::TestWithParam<testing::ApplyCase> {};

TEST_P(DirApplyCase, MatchesUmoci) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (chown, mknod, trusted.* xattrs)";
  const testing::ApplyCase& c = GetParam();
  auto tmp = TempDir::create("/tmp", "cairn-apply-");
  ASSERT_TRUE(tmp);
  std::vector<Layer> layers = c.lowers;
  layers.push_back(c.layer);
  for (const Layer& layer : layers) {
    auto applier = DirApplier::open(tmp->path());
    ASSERT_TRUE(applier) << applier.error().message();
    auto applied = testing::apply_layer(**applier, layer);
    ASSERT_TRUE(applied) << applied.error().message();
  }
  EXPECT_EQ(testing::list_tree(tmp->path()), c.want);
}

INSTANTIATE_TEST_SUITE_P(Layers, DirApplyCase, ::testing::ValuesIn(testing::apply_cases()),
                         [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace cairn
