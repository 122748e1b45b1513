#include <gtest/gtest.h>

#include <utility>

#include "util/reader.h"

namespace cairn {
namespace {

TEST(StringReader, ReadsTheStringItOwnsInPiecesThenNothing) {
  std::string data(70000, 'a');
  data[69999] = 'z';
  auto reader = std::make_unique<StringReader>(data);
  data.clear();  // the reader keeps its own copy
  std::byte piece[4096];
  size_t total = 0;
  std::byte last{};
  while (true) {
    auto n = reader->read(piece);
    ASSERT_TRUE(n);
    if (*n == 0) break;
    total += *n;
    last = piece[*n - 1];
  }
  EXPECT_EQ(total, 70000u);
  EXPECT_EQ(static_cast<char>(last), 'z');
  EXPECT_EQ(*reader->read(piece), 0u);
}

TEST(StringReader, StaysValidWhenMoved) {
  StringReader first(std::string("short"));  // within the small-string buffer
  StringReader moved = std::move(first);
  auto all = read_all(moved, 100);
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, "short");
}

}  // namespace
}  // namespace cairn
