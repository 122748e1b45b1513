#include "layer/compress.h"

#include <gtest/gtest.h>

#include "layer/decompress.h"
#include "util/reader.h"

namespace cairn {
namespace {

std::string sample(size_t size) {
  std::string data(size, '\0');
  for (size_t i = 0; i < size; ++i)
    data[i] = static_cast<char>((i % 97 < 50 ? 'a' : i * 31) & 0xff);
  return data;
}

std::string compress(const std::string& data, Compression compression) {
  auto reader = make_compressor(std::make_unique<MemoryReader>(data), compression);
  auto out = read_all(*reader, 64 << 20);
  EXPECT_TRUE(out) << out.error().message();
  return out ? *out : "";
}

TEST(Compress, RoundTripsAndIsDeterministic) {
  for (Compression c : {Compression::gzip, Compression::zstd}) {
    for (size_t size : {size_t{0}, size_t{1}, size_t{4096}, size_t{3 << 20}}) {
      SCOPED_TRACE(std::to_string(static_cast<int>(c)) + " " + std::to_string(size));
      std::string data = sample(size);
      std::string packed = compress(data, c);
      EXPECT_EQ(packed, compress(data, c));
      MemoryReader input(packed);
      auto unpacked = make_decompressor(input, c);
      ASSERT_TRUE(unpacked) << unpacked.error().message();
      auto back = read_all(**unpacked, 64 << 20);
      ASSERT_TRUE(back) << back.error().message();
      EXPECT_EQ(*back, data);
    }
  }
  std::string gz = compress("x", Compression::gzip);
  ASSERT_GE(gz.size(), 10u);
  EXPECT_EQ(gz.substr(0, 10), std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10))
      << "no name, mtime 0, Unix";
}

}  // namespace
}  // namespace cairn
