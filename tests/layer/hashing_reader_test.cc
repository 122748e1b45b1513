#include "layer/hashing_reader.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(HashingReader, HashesAndCountsEverythingReadThrough) {
  std::string data(200000, 'x');
  MemoryReader inner(data);
  HashingReader hashing(inner);
  std::byte buf[1000];
  ASSERT_EQ(*hashing.read(buf), 1000u);
  EXPECT_EQ(hashing.bytes(), 1000u);
  EXPECT_FALSE(hashing.at_end());
  ASSERT_EQ(*drain(hashing), data.size() - 1000);
  EXPECT_TRUE(hashing.at_end());
  EXPECT_EQ(hashing.bytes(), data.size());
  EXPECT_EQ(hashing.digest(), Digest::of(data));
  EXPECT_EQ(hashing.digest(), Digest::of(data));
  EXPECT_EQ(*hashing.read(buf), 0u);
}

TEST(HashingReader, EmptyStream) {
  HashingReader hashing(std::make_unique<MemoryReader>(std::string_view()));
  EXPECT_EQ(*drain(hashing), 0u);
  EXPECT_EQ(hashing.digest().str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace cairn
