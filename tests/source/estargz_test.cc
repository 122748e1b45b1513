#include <gtest/gtest.h>

#include "source/estargz_toc.h"
#include "support/tar_builder.h"

namespace cairn {
namespace {

const std::string k_sum = "sha256:" + std::string(64, 'a');

// The footer the estargz writer puts after a TOC member at `offset`.
std::string footer(std::uint64_t offset) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(offset));
  std::string out("\x1f\x8b\x08\x04\0\0\0\0\0\xff", 10);
  out += std::string("\x1a\x00SG\x16\x00", 6) + hex + "STARGZ";
  out += std::string("\x01\0\0\xff\xff", 5) + std::string(8, '\0');
  return out;
}

TEST(EstargzFooter, GivesTheTocOffsetAndRefusesOthers) {
  auto offset = parse_estargz_footer(footer(0x1234), 0x2000, "l");
  ASSERT_TRUE(offset) << offset.error().message();
  EXPECT_EQ(*offset, 0x1234u);
  std::string not_hex = footer(1);
  not_hex[20] = 'g';
  std::string wrong_magic = footer(1);
  wrong_magic[33] = 'X';
  for (const auto& [what, bytes, size] : {std::tuple{"short", footer(1).substr(1), 100},
                                          {"not hex", not_hex, 100},
                                          {"no magic", wrong_magic, 100},
                                          {"offset in the footer", footer(60), 100}}) {
    auto bad = parse_estargz_footer(bytes, size, "l");
    ASSERT_FALSE(bad) << what;
    EXPECT_TRUE(bad.error().is(Errc::bad_input)) << what;
  }
}

TEST(EstargzToc, JsonComesFromTheTocEntry) {
  std::string tar = test::TarBuilder(test::TarFormat::ustar)
                        .file(std::string(k_estargz_toc_name), "{\"version\":1}")
                        .finish();
  auto json = estargz_toc_json(tar, "l");
  ASSERT_TRUE(json) << json.error().message();
  EXPECT_EQ(*json, "{\"version\":1}");
  std::string other = test::TarBuilder(test::TarFormat::ustar).file("x.json", "{}").finish();
  EXPECT_FALSE(estargz_toc_json(other, "l"));
  EXPECT_FALSE(estargz_toc_json(tar.substr(0, 100), "l"));
}

std::string reg(std::string_view name, int size, std::string_view chunk_fields) {
  return "{\"type\":\"reg\",\"name\":\"" + std::string(name) +
         "\",\"size\":" + std::to_string(size) + ",\"digest\":\"" + k_sum + "\"," +
         std::string(chunk_fields) + "}";
}

std::string chunk(std::string_view name, std::string_view fields) {
  return "{\"type\":\"chunk\",\"name\":\"" + std::string(name) + "\"," + std::string(fields) + "}";
}

std::string toc(const std::vector<std::string>& entries) {
  std::string out = "{\"version\":1,\"entries\":[{\"type\":\"dir\",\"name\":\"d/\"}";
  for (const auto& e : entries) out += "," + e;
  return out + "]}";
}

TEST(EstargzToc, FilesWithTheirChunks) {
  auto files = parse_estargz_toc(
      toc({reg("a", 10, "\"offset\":100"), reg("b", 25, "\"offset\":200,\"chunkSize\":10"),
           chunk("b", "\"offset\":300,\"chunkOffset\":10,\"chunkSize\":10"),
           chunk("b", "\"offset\":400,\"chunkOffset\":20"),
           "{\"type\":\"reg\",\"name\":\"empty\",\"size\":0}",
           "{\"type\":\"symlink\",\"name\":\"l\",\"linkName\":\"a\"}"}),
      1000, "l");
  ASSERT_TRUE(files) << files.error().message();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].name, "a");
  ASSERT_EQ((*files)[0].chunks.size(), 1u);
  EXPECT_EQ((*files)[0].chunks[0].size, 10u);
  const EstargzFile& b = (*files)[1];
  ASSERT_EQ(b.chunks.size(), 3u);
  EXPECT_EQ(b.chunks[1].member, 300u);
  EXPECT_EQ(b.chunks[1].file_offset, 10u);
  EXPECT_EQ(b.chunks[2].size, 5u);
}

TEST(EstargzToc, RefusesChunksThatDoNotCoverTheFile) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"no digest", toc({"{\"type\":\"reg\",\"name\":\"a\",\"size\":3,\"offset\":5}"})},
      {"no offset", toc({reg("a", 10, "\"chunkSize\":0")})},
      {"short", toc({reg("a", 10, "\"offset\":5,\"chunkSize\":4")})},
      {"gap", toc({reg("a", 10, "\"offset\":5,\"chunkSize\":4"),
                   chunk("a", "\"offset\":9,\"chunkOffset\":5")})},
      {"orphan chunk", toc({chunk("a", "\"offset\":9,\"chunkOffset\":0")})},
      {"backwards", toc({reg("a", 1, "\"offset\":50"), reg("b", 1, "\"offset\":40")})},
      {"past the TOC", toc({reg("a", 1, "\"offset\":1000")})},
      {"version", "{\"version\":2,\"entries\":[]}"},
      {"not JSON", "{"},
  };
  for (const auto& [what, json] : bad) {
    auto files = parse_estargz_toc(json, 1000, "l");
    ASSERT_FALSE(files) << what;
    EXPECT_TRUE(files.error().is(Errc::bad_input)) << what;
  }
}

TEST(EstargzAnnotation, AbsentMalformedOrADigest) {
  EXPECT_EQ(*parse_estargz_annotation({}, "l"), std::nullopt);
  EXPECT_FALSE(parse_estargz_annotation({{std::string(k_estargz_toc_digest), "x"}}, "l"));
  auto d = parse_estargz_annotation({{std::string(k_estargz_toc_digest), k_sum}}, "l");
  ASSERT_TRUE(d && *d);
  EXPECT_EQ((*d)->str(), k_sum);
}

}  // namespace
}  // namespace cairn
