// The progress display's text and the throttled counting reader.
#include "util/progress.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace cairn {
namespace {

TEST(FormatBytes, DecimalUnits) {
  struct Case {
    std::uint64_t bytes;
    const char* text;
  };
  for (const Case& c : std::vector<Case>{{0, "0 B"},
                                         {999, "999 B"},
                                         {1000, "1.0 kB"},
                                         {1049, "1.0 kB"},
                                         {12'345'678, "12.3 MB"},
                                         {999'949'999, "999.9 MB"},
                                         {999'960'000, "1.0 GB"},
                                         {1'500'000'000, "1.5 GB"},
                                         {3'000'000'000'000, "3.0 TB"}}) {
    EXPECT_EQ(format_bytes(c.bytes), c.text) << c.bytes;
  }
}

TEST(FormatRate, PerSecondOrDash) {
  EXPECT_EQ(format_rate(8'000'000, 2.0), "4.0 MB/s");
  EXPECT_EQ(format_rate(500, 1.0), "500 B/s");
  EXPECT_EQ(format_rate(100, 0.0), "-");
}

TEST(FormatLayerProgress, RunningAndFinished) {
  struct Case {
    LayerProgress layer;
    const char* text;
  };
  std::vector<Case> cases{
      {{.index = 1,
        .count = 5,
        .id = "0123456789ab",
        .done = 12'300'000,
        .total = 40'000'000,
        .seconds = 1.5,
        .finished = false},
       "layer 2/5 0123456789ab  12.3 MB / 40.0 MB  8.2 MB/s"},
      {{.index = 1,
        .count = 5,
        .id = "0123456789ab",
        .done = 40'000'000,
        .total = 40'000'000,
        .seconds = 4.94,
        .finished = true},
       "layer 2/5 0123456789ab  40.0 MB in 4.9 s  8.1 MB/s"},
      {{.index = 0,
        .count = 0,
        .id = "",
        .done = 2048,
        .total = std::nullopt,
        .seconds = 0,
        .finished = false},
       "layer 1  2.0 kB  -"},
  };
  for (const Case& c : cases) EXPECT_EQ(format_layer_progress(c.layer), c.text);
}

TEST(FormatImportSummary, CountsBytesAndRate) {
  EXPECT_EQ(format_import_summary(3, 1, 12'400'000, 2.0),
            "4 layers: 3 ingested, 1 reused; 12.4 MB in 2.0 s  6.2 MB/s");
  EXPECT_EQ(format_import_summary(0, 1, 0, 0.01),
            "1 layer: 0 ingested, 1 reused; 0 B in 0.0 s  0 B/s");
}

// A reader that yields `chunks` reads of `size` bytes, sleeping between them.
class SlowReader final : public Reader {
 public:
  SlowReader(int chunks, size_t size, std::chrono::milliseconds pause)
      : m_left(chunks), m_size(size), m_pause(pause) {}
  Result<size_t> read(std::span<std::byte> buf) override {
    if (m_left == 0) return 0;
    --m_left;
    std::this_thread::sleep_for(m_pause);
    return std::min(buf.size(), m_size);
  }

 private:
  int m_left;
  size_t m_size;
  std::chrono::milliseconds m_pause;
};

TEST(ProgressReader, ThrottlesAndReportsTheFinalCount) {
  SlowReader slow(40, 1000, std::chrono::milliseconds(5));  // ~200 ms
  std::vector<std::uint64_t> reports;
  ProgressReader reader(
      slow, [&](std::uint64_t done) { reports.push_back(done); }, std::chrono::milliseconds(50));
  std::vector<std::byte> buf(4096);
  for (;;) {
    auto n = reader.read(buf);
    ASSERT_TRUE(n.has_value());
    if (*n == 0) break;
  }
  EXPECT_EQ(reader.bytes(), 40'000u);
  ASSERT_FALSE(reports.empty());
  EXPECT_EQ(reports.back(), 40'000u);
  EXPECT_LE(reports.size(), 7u);  // 200 ms / 50 ms, plus the final one, plus slack
  EXPECT_GE(reports.size(), 2u);
  for (size_t i = 1; i < reports.size(); ++i) EXPECT_LE(reports[i - 1], reports[i]);
}

TEST(ProgressReader, WithoutCallbackOnlyCounts) {
  std::string data(10'000, 'x');
  MemoryReader memory(std::as_bytes(std::span(data)));
  ProgressReader reader(memory, nullptr);
  EXPECT_EQ(drain(reader).value(), 10'000u);
  EXPECT_EQ(reader.bytes(), 10'000u);
}

}  // namespace
}  // namespace cairn
