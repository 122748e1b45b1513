#include <gtest/gtest.h>

#include <vector>

#include "util/reader.h"

namespace cairn {
namespace {

// Parts from strings; an empty optional is a part that fails to open.
class StringParts final : public PartsReader {
 public:
  explicit StringParts(std::vector<std::optional<std::string>> parts) : m_parts(std::move(parts)) {}

 private:
  Result<std::unique_ptr<Reader>> next_part() override {
    if (m_next == m_parts.size()) return std::unique_ptr<Reader>();
    const auto& part = m_parts[m_next++];
    if (!part) return fail(Errc::bad_input, "part " + std::to_string(m_next));
    return std::unique_ptr<Reader>(std::make_unique<MemoryReader>(*part));
  }

  std::vector<std::optional<std::string>> m_parts;
  size_t m_next = 0;
};

TEST(PartsReader, ConcatenatesPartsEmptyOnesIncluded) {
  StringParts reader({"ab", "", "cde", std::string(100000, 'x')});
  auto all = read_all(reader, 1 << 20);
  ASSERT_TRUE(all) << all.error().message();
  EXPECT_EQ(*all, "abcde" + std::string(100000, 'x'));
  std::byte b[4];
  EXPECT_EQ(*reader.read(b), 0u) << "stays at its end";
}

TEST(PartsReader, APartThatFailsToOpenFailsTheRead) {
  StringParts reader({"ab", std::nullopt, "c"});
  auto all = read_all(reader, 1 << 20);
  ASSERT_FALSE(all);
  EXPECT_NE(all.error().message().find("part 2"), std::string::npos);
}

}  // namespace
}  // namespace cairn
