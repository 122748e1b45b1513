// Import limits: parsing a setting's value and the sink that counts entries
// and bytes against them.
#include "layer/import_limits.h"

#include <gtest/gtest.h>

#include "support/recording_sink.h"

namespace cairn {
namespace {

TEST(ImportLimits, ParsesNumbersAndByteSuffixes) {
  EXPECT_EQ(*parse_limit("limits.layer_entries", "12", false), 12u);
  EXPECT_EQ(*parse_limit("limits.layer_bytes", "3K", true), 3u << 10);
  EXPECT_EQ(*parse_limit("limits.layer_bytes", "2T", true), std::uint64_t{2} << 40);
  for (const char* bad : {"", "0", "-1", "1.5", "12x", "K", "99999999999999999999"}) {
    auto parsed = parse_limit("limits.layer_bytes", bad, true);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_TRUE(parsed.error().is(Errc::usage)) << bad;
    EXPECT_NE(parsed.error().message().find("limits.layer_bytes"), std::string::npos);
  }
  EXPECT_FALSE(parse_limit("limits.layer_entries", "3K", false));      // suffixes are for bytes
  EXPECT_FALSE(parse_limit("limits.layer_bytes", "16777216T", true));  // 2^64: overflows
}

TEST(ImportLimits, ImageLayersUpToTheLimit) {
  ImportLimits limits;
  limits.image_layers = 3;
  EXPECT_TRUE(check_image_layers(3, limits));
  auto over = check_image_layers(4, limits);
  ASSERT_FALSE(over);
  EXPECT_TRUE(over.error().is(Errc::bad_input));
  EXPECT_NE(over.error().message().find("limits.image_layers"), std::string::npos);
}

struct NoData final : EntryData {
  Result<std::optional<DataBlock>> next_block() override { return std::nullopt; }
};

TarEntry file(const std::string& path, std::uint64_t size) {
  TarEntry e;
  e.path = path;
  e.size = size;
  return e;
}

// A LimitedSink in front of a recording one, with the limits a test sets.
struct Limited {
  explicit Limited(ImportLimits l) : limits(l) {}
  ImportLimits limits;
  test::RecordingSink inner;
  LimitedSink sink{inner, limits};
  NoData data;
};

TEST(ImportLimits, SinkRefusesTheEntryPastTheLimit) {
  Limited limited(ImportLimits{.layer_entries = 2});
  auto& [limits, inner, sink, data] = limited;
  EXPECT_TRUE(sink.add(file("a", 0), data));
  EXPECT_TRUE(sink.add(file("b", 0), data));
  auto third = sink.add(file("c", 0), data);
  ASSERT_FALSE(third);
  EXPECT_TRUE(third.error().is(Errc::bad_input));
  EXPECT_NE(third.error().message().find("limits.layer_entries"), std::string::npos);
  EXPECT_EQ(inner.entries.size(), 2u);  // the refused entry never reached the backend
}

TEST(ImportLimits, SinkCountsLogicalFileSizes) {
  Limited limited(ImportLimits{.layer_bytes = 100});
  auto& [limits, inner, sink, data] = limited;
  TarEntry dir = file("d", 1000);  // only regular files count
  dir.type = EntryType::directory;
  EXPECT_TRUE(sink.add(dir, data));
  EXPECT_TRUE(sink.add(file("a", 60), data));
  EXPECT_TRUE(sink.add(file("b", 40), data));
  auto over = sink.add(file("c", 1), data);
  ASSERT_FALSE(over);
  EXPECT_NE(over.error().message().find("(setting limits.layer_bytes), at c"), std::string::npos);
  EXPECT_TRUE(sink.finish());
  EXPECT_TRUE(inner.finished);
}

}  // namespace
}  // namespace cairn
