#include <gtest/gtest.h>

#include "source/byte_ranges.h"
#include "source/zstd_chunked_plan.h"
#include "source/zstd_chunked_toc.h"

namespace cairn {
namespace {

const std::string k_sum = "sha256:" + std::string(64, 'a');
constexpr std::string_view k_new = "io.github.containers.zstd-chunked.";
constexpr std::string_view k_old = "io.containers.zstd-chunked.";

std::map<std::string, std::string> annotations(std::string_view prefix, std::string position,
                                               std::string checksum = k_sum) {
  return {{std::string(prefix) + "manifest-position", std::move(position)},
          {std::string(prefix) + "manifest-checksum", std::move(checksum)}};
}

TEST(ChunkedAnnotations, BothKeySetsNewerWins) {
  for (std::string_view prefix : {k_new, k_old}) {
    auto layout = parse_chunked_annotations(annotations(prefix, "100:50:400:1"), 200, "l");
    ASSERT_TRUE(layout && *layout) << prefix;
    EXPECT_EQ((*layout)->toc, (BlobRange{100, 50}));
    EXPECT_EQ((*layout)->toc_uncompressed, 400u);
    EXPECT_EQ((*layout)->content_end(), 100u - k_skippable_header);
  }
  auto both = annotations(k_new, "100:50:400:1");
  both.merge(annotations(k_old, "20:5:9:1"));
  both[std::string(k_new) + "tarsplit-position"] = "60:30:90";
  auto layout = parse_chunked_annotations(both, 200, "l");
  ASSERT_TRUE(layout && *layout);
  EXPECT_EQ((*layout)->toc.offset, 100u);
  EXPECT_EQ((*layout)->content_end(), 60u - k_skippable_header);
}

TEST(ChunkedAnnotations, AbsentIsNulloptMalformedIsBadInput) {
  auto none = parse_chunked_annotations({{"other", "x"}}, 10, "l");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  const std::vector<std::map<std::string, std::string>> bad = {
      annotations(k_new, "100:50:400"),                   // three fields
      annotations(k_new, "100:50:400:2"),                 // unknown type
      annotations(k_new, "100:0:400:1"),                  // empty
      annotations(k_new, "4:10:400:1"),                   // no room for the frame header
      annotations(k_new, "190:50:400:1"),                 // past the blob
      annotations(k_new, "18446744073709551610:50:1:1"),  // overflows
      annotations(k_new, "1x0:50:400:1"),
      annotations(k_new, "100:50:400:1", "md5:x"),
      {{std::string(k_old) + "manifest-position", "100:50:400:1"}},  // no checksum
  };
  for (const auto& a : bad) {
    auto layout = parse_chunked_annotations(a, 200, "l");
    ASSERT_FALSE(layout) << a.begin()->second;
    EXPECT_TRUE(layout.error().is(Errc::bad_input));
  }
}

std::string entry(std::string_view fields) {
  return "{\"type\":\"reg\",\"name\":\"f\",\"size\":10,\"digest\":\"" + k_sum + "\"," +
         std::string(fields) + "}";
}

TEST(ChunkedToc, ParsesRegularFilesWithFrames) {
  std::string toc = "{\"version\":1,\"entries\":[{\"type\":\"dir\",\"name\":\"d/\"}," +
                    entry("\"offset\":10,\"endOffset\":20") +
                    ",{\"type\":\"chunk\",\"name\":\"f\",\"offset\":15}," +
                    "{\"type\":\"reg\",\"name\":\"empty\"}," +
                    entry("\"offset\":30,\"endOffset\":40") + "]}";
  auto files = parse_chunked_toc(toc, 100, "l");
  ASSERT_TRUE(files) << files.error().message();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].frames, (BlobRange{10, 10}));
  EXPECT_EQ((*files)[1].frames, (BlobRange{30, 10}));
}

TEST(ChunkedToc, HostileInputsAreBadInput) {
  auto wrap = [](const std::string& e) { return "{\"version\":1,\"entries\":[" + e + "]}"; };
  const std::vector<std::string> bad = {
      "not json",
      "[]",
      "{\"version\":2,\"entries\":[]}",
      "{\"version\":1}",
      wrap(entry("\"offset\":20,\"endOffset\":10")),    // endOffset < offset
      wrap(entry("\"offset\":20,\"endOffset\":20")),    // empty
      wrap(entry("\"offset\":20,\"endOffset\":1000")),  // past the content
      wrap(entry("\"offset\":-1,\"endOffset\":10")),
      wrap(entry("\"offset\":10,\"endOffset\":20") + "," + entry("\"offset\":15,\"endOffset\":25")),
      wrap("{\"type\":\"reg\",\"name\":\"f\",\"size\":10,\"offset\":1,\"endOffset\":2}"),
      wrap("{\"type\":\"reg\",\"name\":\"f\",\"size\":\"big\"}"),
      wrap("{\"type\":\"reg\",\"size\":1}"),
      wrap("7"),
  };
  for (const std::string& toc : bad) {
    auto files = parse_chunked_toc(toc, 100, "l");
    ASSERT_FALSE(files) << toc;
    EXPECT_TRUE(files.error().is(Errc::bad_input)) << toc;
  }
}

TEST(ChunkedToc, AbsurdSizeIsStreamedNotAllocated) {
  std::string toc =
      "{\"version\":1,\"entries\":[{\"type\":\"reg\",\"name\":\"f\",\"size\":"
      "18446744073709551615,\"digest\":\"" +
      k_sum + "\",\"offset\":1,\"endOffset\":2}]}";
  auto files = parse_chunked_toc(toc, 100, "l");
  ASSERT_TRUE(files);
  EXPECT_EQ(files->front().size, UINT64_MAX);
}

TEST(ByteRanges, HeaderAndContentRange) {
  std::vector<BlobRange> ranges = {{0, 10}, {100, 1}};
  EXPECT_EQ(range_header(ranges), "Range: bytes=0-9,100-100");
  EXPECT_EQ(parse_content_range("bytes 5-9/100"), (BlobRange{5, 5}));
  EXPECT_EQ(parse_content_range("bytes 5-9/*"), (BlobRange{5, 5}));
  EXPECT_FALSE(parse_content_range("bytes 9-5/100"));
  EXPECT_FALSE(parse_content_range("items 5-9/100"));
}

TEST(ByteRanges, MultipartPartsAndPicks) {
  std::string body =
      "\r\n--XY\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 2-4/20\r\n\r\n"
      "abc\r\n--XY\r\ncontent-range: bytes 10-14/20\r\n\r\n--XY-\r\n--XY--\r\n";
  auto parts = parse_range_parts("multipart/byteranges; boundary=\"XY\"", std::nullopt, body, "b");
  ASSERT_TRUE(parts) << parts.error().message();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[1].bytes, "--XY-");  // data taken by length, never by boundary
  std::vector<BlobRange> wanted = {{3, 2}, {10, 5}};
  auto got = pick_ranges(*parts, wanted, "b");
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)[0], "bc");
  std::vector<BlobRange> missing = {{5, 2}};
  EXPECT_FALSE(pick_ranges(*parts, missing, "b"));
  EXPECT_FALSE(parse_range_parts("multipart/byteranges; boundary=XY", std::nullopt,
                                 "\r\n--XY\r\nContent-Range: bytes 0-99/100\r\n\r\nshort", "b"));
  EXPECT_FALSE(parse_range_parts("multipart/byteranges", std::nullopt, body, "b"));
  auto single = parse_range_parts("application/octet-stream", "bytes 0-2/9", "abc", "b");
  ASSERT_TRUE(single);
  EXPECT_FALSE(parse_range_parts("application/octet-stream", "bytes 0-5/9", "abc", "b"));
}

TEST(ChunkedPlan, BetweenRangesAlwaysMissingFilesOnly) {
  auto digest = Digest::parse(k_sum);
  ASSERT_TRUE(digest);
  std::vector<TocFile> files = {{"a", 10, *digest, {100, 50}},
                                {"b", 10, *digest, {200, 2 << 20}},
                                {"c", 10, *digest, {(2 << 20) + 300, 50}}};
  auto local = [](const TocFile& f) { return f.name == "a"; };
  ChunkedPlan plan = plan_chunked_tar(files, (2 << 20) + 400, local);
  EXPECT_EQ(plan.files_local, 1u);
  EXPECT_EQ(plan.files_fetched, 2u);
  ASSERT_EQ(plan.pieces.size(), 7u);  // b0 a b1 b b2 c b3
  // a (50 bytes, local) lies in a hole under 4 KiB: merged; b (2 MiB) is streamed, not prefetched;
  // c and the between ranges around it are merged.
  ASSERT_EQ(plan.prefetch.size(), 2u);
  EXPECT_EQ(plan.prefetch[0], (BlobRange{0, 200}));
  EXPECT_EQ(plan.prefetch[1], (BlobRange{200 + (2 << 20), 200}));
}

}  // namespace
}  // namespace cairn
