#include "layer/decompress.h"

#include <gtest/gtest.h>

#include <random>

#include "support/compress.h"

namespace cairn {
namespace {

// Hands out its data one byte per read, to exercise every refill path.
class TrickleReader final : public Reader {
 public:
  explicit TrickleReader(std::string data) : m_data(std::move(data)) {}
  Result<size_t> read(std::span<std::byte> buf) override {
    if (m_pos == m_data.size() || buf.empty()) return 0;
    buf[0] = std::byte(m_data[m_pos++]);
    return 1;
  }

 private:
  std::string m_data;
  size_t m_pos = 0;
};

std::string random_bytes(size_t n) {
  std::mt19937 gen(42);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(gen() % 16);  // compressible, not trivial
  return out;
}

Result<std::string> decompress(const std::string& data, Compression c) {
  MemoryReader input(data);
  ASSIGN_OR_RETURN(auto reader, make_decompressor(input, c));
  return read_all(*reader, 64 << 20);
}

Result<std::string> decompress_trickle(const std::string& data, Compression c) {
  ASSIGN_OR_RETURN(auto reader, make_decompressor(std::make_unique<TrickleReader>(data), c));
  std::string out;
  std::byte b[7];
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, reader->read(b));
    if (n == 0) return out;
    out.append(reinterpret_cast<const char*>(b), n);
  }
}

std::string compress(const std::string& data, Compression c) {
  return c == Compression::gzip ? test::gzip(data) : test::zstd(data);
}

class Codec : public testing::TestWithParam<Compression> {};

TEST_P(Codec, RoundTripsLargeAndTrickledStreams) {
  std::string data = random_bytes(3 << 20);
  auto out = decompress(compress(data, GetParam()), GetParam());
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*out, data);
  std::string small = random_bytes(5000);
  auto trickled = decompress_trickle(compress(small, GetParam()), GetParam());
  ASSERT_TRUE(trickled) << trickled.error().message();
  EXPECT_EQ(*trickled, small);
}

TEST_P(Codec, DecodesConcatenatedMembersAsOneStream) {
  std::string a = random_bytes(100000), b = "second", c;
  std::string packed = compress(a, GetParam()) + compress(b, GetParam()) + compress(c, GetParam()) +
                       compress(a, GetParam());
  auto out = decompress(packed, GetParam());
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*out, a + b + a);
  auto trickled = decompress_trickle(packed, GetParam());
  ASSERT_TRUE(trickled) << trickled.error().message();
  EXPECT_EQ(*trickled, a + b + a);
}

TEST_P(Codec, RejectsTruncatedEmptyAndCorruptStreams) {
  std::string name = GetParam() == Compression::gzip ? "gzip: " : "zstd: ";
  std::string packed = compress(random_bytes(200000), GetParam());
  std::string corrupt = packed;
  for (size_t i = packed.size() / 2; i < packed.size() / 2 + 64; ++i) corrupt[i] ^= 0x5a;
  struct Case {
    std::string what;
    std::string data;
    std::string message;
  } cases[] = {
      {"truncated", packed.substr(0, packed.size() - 7), name + "unexpected end of stream"},
      {"header only", packed.substr(0, 6), name + "unexpected end of stream"},
      {"empty", "", name + "unexpected end of stream"},
      {"corrupt", corrupt, name},
      {"garbage after", packed + "garbage", name},
  };
  for (const auto& c : cases) {
    for (auto* fn : {&decompress, &decompress_trickle}) {
      auto out = fn(c.data, GetParam());
      ASSERT_FALSE(out) << c.what;
      EXPECT_TRUE(out.error().is(Errc::bad_input)) << c.what;
      EXPECT_EQ(out.error().message().rfind(c.message, 0), 0u)
          << c.what << ": " << out.error().message();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Decompress, Codec, testing::Values(Compression::gzip, Compression::zstd),
                         [](const testing::TestParamInfo<Compression>& param) {
                           return param.param == Compression::gzip ? "gzip" : "zstd";
                         });

TEST(Gzip, AcceptsZeroPaddingButNotOtherTrailingData) {
  std::string packed = test::gzip("hello");
  auto padded = decompress(packed + std::string(10000, '\0'), Compression::gzip);
  ASSERT_TRUE(padded) << padded.error().message();
  EXPECT_EQ(*padded, "hello");
  auto garbage = decompress(packed + std::string(10, '\0') + "x", Compression::gzip);
  ASSERT_FALSE(garbage);
  EXPECT_TRUE(garbage.error().is(Errc::bad_input));
  EXPECT_NE(garbage.error().message().find("trailing data"), std::string::npos);
  auto not_member = decompress(packed +
                                   "\x1f"
                                   "x",
                               Compression::gzip);
  ASSERT_FALSE(not_member);
  EXPECT_TRUE(not_member.error().is(Errc::bad_input));
}

TEST(Decompress, NonePassesThrough) {
  auto out = decompress("plain bytes", Compression::none);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, "plain bytes");
  auto owned = make_decompressor(std::make_unique<TrickleReader>("abc"), Compression::none);
  ASSERT_TRUE(owned);
  EXPECT_EQ(*read_all(**owned, 10), "abc");
}

TEST(Decompress, InputErrorsPassThrough) {
  class Failing final : public Reader {
   public:
    Result<size_t> read(std::span<std::byte>) override { return fail_errno(EIO, "read blob"); }
  };
  for (Compression c : {Compression::gzip, Compression::zstd, Compression::none}) {
    auto reader = make_decompressor(std::make_unique<Failing>(), c);
    ASSERT_TRUE(reader);
    auto out = read_all(**reader, 100);
    ASSERT_FALSE(out);
    EXPECT_TRUE(out.error().is_errno(EIO));
  }
}

TEST(DetectCompression, ByMagicBytes) {
  struct Case {
    std::string head;
    Compression expected;
  } cases[] = {
      {"\x1f\x8b\x08\x00", Compression::gzip},
      {std::string("\x28\xb5\x2f\xfd", 4), Compression::zstd},
      {std::string("\x5e\x2a\x4d\x18", 4), Compression::zstd},  // skippable frame
      {"etc/passwd", Compression::none},
      {std::string(512, '\0'), Compression::none},
      {"\x1f", Compression::none},
      {"", Compression::none},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(detect_compression(std::as_bytes(std::span(c.head))), c.expected) << c.head;
  }
}

TEST(DetectingDecompressor, DecodesWhateverItFinds) {
  std::string data = random_bytes(70000);
  for (const std::string& input : {data, test::gzip(data), test::zstd(data)}) {
    TrickleReader source(input);
    auto reader = make_detecting_decompressor(source);
    ASSERT_TRUE(reader) << reader.error().message();
    auto out = read_all(**reader, 1 << 20);
    ASSERT_TRUE(out) << out.error().message();
    EXPECT_EQ(*out, data);
  }
  for (const std::string& input : {std::string(), std::string("ab")}) {
    MemoryReader source(input);
    auto reader = make_detecting_decompressor(source);
    ASSERT_TRUE(reader);
    EXPECT_EQ(*read_all(**reader, 10), input);
  }
  MemoryReader xz(
      std::string_view("\xfd"
                       "7zXZ\0rest",
                       9));
  auto reader = make_detecting_decompressor(xz);
  ASSERT_FALSE(reader);
  EXPECT_TRUE(reader.error().is(Errc::unsupported));
}

}  // namespace
}  // namespace cairn
