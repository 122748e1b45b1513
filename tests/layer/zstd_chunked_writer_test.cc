#include "layer/zstd_chunked_writer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "layer/decompress.h"
#include "oci/zstd_chunked_keys.h"
#include "source/zstd_chunked_toc.h"
#include "support/tar_builder.h"

namespace cairn {
namespace {

using test::TarBuilder;

struct Written {
  std::string blob;
  std::map<std::string, std::string> annotations;
};

Written write_chunked(const std::string& tar) {
  ZstdChunkedWriter writer(std::make_unique<MemoryReader>(tar));
  auto blob = read_all(writer, 256 << 20);
  EXPECT_TRUE(blob) << blob.error().message();
  return {blob ? *blob : "", writer.annotations()};
}

std::string unzstd(std::string_view bytes) {
  MemoryReader input(bytes);
  auto reader = make_decompressor(input, Compression::zstd);
  EXPECT_TRUE(reader) << reader.error().message();
  if (!reader) return "";
  auto out = read_all(**reader, 256 << 20);
  EXPECT_TRUE(out) << out.error().message();
  return out ? *out : "";
}

std::string big_content() {
  std::string s(300 << 10, '\0');
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>((i * 7919) >> 5);
  return s;
}

std::string sample_tar() {
  return TarBuilder()
      .dir("etc")
      .file("etc/passwd", "root:x:0:0::/root:/bin/sh\n")
      .owner(0, 42)
      .mtime(1700000000, 500)
      .xattr("user.k", std::string("v\0w", 3))
      .file("etc/empty", "")
      .file("usr/big", big_content(), 0755)
      .symlink("bin", "usr/bin")
      .hardlink("etc/passwd2", "etc/passwd")
      .char_device("dev/null", 1, 3)
      .fifo("run/fifo")
      .file("z", "last")
      .finish();
}

TEST(ZstdChunkedWriter, DecompressesToTheTarAndIsDeterministic) {
  std::string tar = sample_tar();
  Written w = write_chunked(tar);
  EXPECT_EQ(unzstd(w.blob), tar);
  EXPECT_EQ(write_chunked(tar).blob, w.blob);
}

TEST(ZstdChunkedWriter, TocDescribesEveryMemberAndFramesHoldTheFiles) {
  std::string tar = sample_tar();
  Written w = write_chunked(tar);
  auto layout = parse_chunked_annotations(w.annotations, w.blob.size(), "layer");
  ASSERT_TRUE(layout) << layout.error().message();
  ASSERT_TRUE(*layout);
  std::string_view compressed_toc(w.blob.data() + (*layout)->toc.offset, (*layout)->toc.length);
  EXPECT_EQ(Digest::of(compressed_toc), (*layout)->toc_checksum);
  std::string json = unzstd(compressed_toc);
  EXPECT_EQ(json.size(), (*layout)->toc_uncompressed);

  auto files = parse_chunked_toc(json, (*layout)->content_end(), "layer");
  ASSERT_TRUE(files) << files.error().message();
  std::map<std::string, std::string> want = {
      {"etc/passwd", "root:x:0:0::/root:/bin/sh\n"}, {"usr/big", big_content()}, {"z", "last"}};
  ASSERT_EQ(files->size(), want.size());
  for (const TocFile& file : *files) {
    SCOPED_TRACE(file.name);
    std::string content =
        unzstd(std::string_view(w.blob).substr(file.frames.offset, file.frames.length));
    EXPECT_EQ(content, want[file.name]);
    EXPECT_EQ(file.size, content.size());
    EXPECT_EQ(file.digest, Digest::of(content));
  }

  auto doc = nlohmann::json::parse(json);
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& e : doc["entries"]) by_name[e["name"]] = e;
  EXPECT_EQ(by_name.size(), 9u);  // every member
  EXPECT_EQ(by_name["etc/"]["type"], "dir");
  EXPECT_EQ(by_name["etc/"]["mode"], 0755);
  EXPECT_EQ(by_name["etc/passwd"]["gid"], 42);
  EXPECT_EQ(by_name["etc/passwd"]["modtime"], "2023-11-14T22:13:20.0000005Z");
  EXPECT_EQ(by_name["etc/passwd"]["xattrs"]["user.k"], "dgB3");  // base64 of "v\0w"
  EXPECT_EQ(by_name["etc/empty"]["type"], "reg");
  EXPECT_FALSE(by_name["etc/empty"].contains("offset"));
  EXPECT_EQ(by_name["usr/big"]["mode"], 0755);
  EXPECT_EQ(by_name["bin"]["type"], "symlink");
  EXPECT_EQ(by_name["bin"]["linkName"], "usr/bin");
  EXPECT_EQ(by_name["etc/passwd2"]["type"], "hardlink");
  EXPECT_EQ(by_name["etc/passwd2"]["linkName"], "etc/passwd");
  EXPECT_EQ(by_name["dev/null"]["type"], "char");
  EXPECT_EQ(by_name["dev/null"]["devMajor"], 1);
  EXPECT_EQ(by_name["dev/null"]["devMinor"], 3);
  EXPECT_EQ(by_name["run/fifo"]["type"], "fifo");

  // The footer: a skippable frame of 40 bytes ending in the magic.
  ASSERT_GE(w.blob.size(), 48u);
  std::string_view footer = std::string_view(w.blob).substr(w.blob.size() - 40);
  EXPECT_EQ(footer.substr(32), zstd_chunked::k_footer_magic);
  EXPECT_EQ(static_cast<unsigned char>(footer[0]), (*layout)->toc.offset & 0xff);
}

TEST(ZstdChunkedWriter, NoTocForWhatATocCannotDescribe) {
  std::vector<std::pair<std::string, std::string>> cases = {
      {"sparse file", TarBuilder().file("a", "x").sparse("s", 1 << 20, {{4096, "data"}}).finish()},
      {"no end-of-archive blocks", TarBuilder().file("a", "x").finish(test::TarTrailer::none)},
      {"name not UTF-8", TarBuilder().file("caf\xe9", "x").finish()},
  };
  for (const auto& [what, tar] : cases) {
    SCOPED_TRACE(what);
    Written w = write_chunked(tar);
    EXPECT_TRUE(w.annotations.empty());
    EXPECT_EQ(unzstd(w.blob), tar);
  }
}

// Found by fuzz/layer_toc_fuzz.cc: an empty blob is not a zstd stream.
TEST(ZstdChunkedWriter, EmptyInputGivesOneEmptyFrame) {
  Written w = write_chunked("");
  EXPECT_FALSE(w.blob.empty());
  EXPECT_EQ(unzstd(w.blob), "");
  EXPECT_TRUE(w.annotations.empty());
}

}  // namespace
}  // namespace cairn
