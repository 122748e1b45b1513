#include "support/temp_dir_test.h"

#include "util/sys.h"

namespace cairn::testing {

void TempDirTest::SetUp() {
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string suite = test ? test->test_suite_name() : "test";
  for (char& c : suite) {
    if (c == '/') c = '-';
  }
  auto dir = TempDir::create(m_parent, "cairn-" + suite + "-");
  ASSERT_TRUE(dir) << dir.error().message();
  m_dir.emplace(std::move(*dir));
}

std::string TempDirTest::write_file(const std::string& name, const std::string& bytes) const {
  std::string file = path(name);
  auto written = sys::write_file_atomic(file, bytes);
  EXPECT_TRUE(written) << file << ": " << written.error().message();
  return file;
}

}  // namespace cairn::testing
