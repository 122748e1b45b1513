#include "layer/tar_reader.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "support/recording_sink.h"
#include "support/tar_builder.h"

namespace cairn {
namespace {

using test::RecordingSink;
using test::TarBuilder;
using test::TarFormat;
using test::TarTrailer;

Result<std::vector<test::RecordedEntry>> read_entries(const std::string& tar,
                                                      bool read_content = true) {
  MemoryReader source(tar);
  RecordingSink sink;
  sink.read_content = read_content;
  TRY(read_tar_into(source, sink));
  return sink.entries;
}

// A hand-made ustar header, for what libarchive's writer will not produce.
std::string ustar_header(const std::string& name, char type, std::uint64_t size,
                         const std::string& link = "") {
  std::string h(512, '\0');
  auto put = [&](size_t off, const std::string& v) { h.replace(off, v.size(), v); };
  auto octal = [](std::uint64_t v, int width) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%0*llo", width, static_cast<unsigned long long>(v));
    return std::string(buf);
  };
  put(0, name);
  put(100, octal(0644, 7));
  put(108, octal(0, 7));
  put(116, octal(0, 7));
  put(124, octal(size, 11));
  put(136, octal(0, 11));
  put(148, "        ");
  h[156] = type;
  put(157, link);
  put(257, std::string("ustar\0"
                       "00",
                       8));
  unsigned sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  put(148, octal(sum, 6) + std::string("\0 ", 2));
  return h;
}

std::string padded(std::string data) {
  data.resize((data.size() + 511) / 512 * 512, '\0');
  return data;
}

// Overwrites a field of the first header and fixes its checksum.
void set_header_field(std::string& tar, size_t offset, const std::string& value) {
  tar.replace(offset, value.size(), value);
  tar.replace(148, 8, "        ");
  unsigned sum = 0;
  for (size_t i = 0; i < 512; ++i) sum += static_cast<unsigned char>(tar[i]);
  char buf[8];
  std::snprintf(buf, sizeof buf, "%06o", sum);
  tar.replace(148, 8, std::string(buf, 6) + std::string("\0 ", 2));
}

class TarFormats : public testing::TestWithParam<TarFormat> {};

TEST_P(TarFormats, EveryEntryTypeRoundTrips) {
  std::string tar = TarBuilder(GetParam())
                        .dir("d", 0750)
                        .owner(1000, 1001)
                        .mtime(1700000000)
                        .file("d/f", "content", 04755)
                        .owner(7, 8)
                        .mtime(1, 0)
                        .symlink("d/s", "../target")
                        .hardlink("d/h", "d/f")
                        .char_device("dev/null", 1, 3, 0666)
                        .block_device("dev/sda", 8, 16)
                        .fifo("p", 0600)
                        .file("empty", "", 01777)
                        .finish();
  auto entries = read_entries(tar);
  ASSERT_TRUE(entries) << entries.error().message();
  ASSERT_EQ(entries->size(), 8u);
  struct Want {
    std::string path;
    EntryType type;
    std::uint32_t mode;
    std::string link;
    std::string content;
  } want[] = {
      {"d/", EntryType::directory, 0750, "", ""},
      {"d/f", EntryType::regular, 04755, "", "content"},
      {"d/s", EntryType::symlink, 0777, "../target", ""},
      {"d/h", EntryType::hardlink, 0644, "d/f", ""},
      {"dev/null", EntryType::char_device, 0666, "", ""},
      {"dev/sda", EntryType::block_device, 0600, "", ""},
      {"p", EntryType::fifo, 0600, "", ""},
      {"empty", EntryType::regular, 01777, "", ""},
  };
  for (size_t i = 0; i < std::size(want); ++i) {
    const TarEntry& e = (*entries)[i].entry;
    SCOPED_TRACE(want[i].path);
    // libarchive's writer adds the trailing slash to directories.
    EXPECT_EQ(e.path, want[i].path);
    EXPECT_EQ(e.type, want[i].type);
    EXPECT_EQ(e.mode, want[i].mode);
    EXPECT_EQ(e.link_target, want[i].link);
    EXPECT_EQ((*entries)[i].content, want[i].content);
    EXPECT_EQ(e.size, want[i].content.size());
  }
  EXPECT_EQ((*entries)[0].entry.uid, 1000u);
  EXPECT_EQ((*entries)[0].entry.gid, 1001u);
  EXPECT_EQ((*entries)[0].entry.mtime_sec, 1700000000);
  EXPECT_EQ((*entries)[1].entry.uid, 7u);
  EXPECT_EQ((*entries)[1].entry.gid, 8u);
  EXPECT_EQ((*entries)[4].entry.dev_major, 1u);
  EXPECT_EQ((*entries)[4].entry.dev_minor, 3u);
  EXPECT_EQ((*entries)[5].entry.dev_major, 8u);
  EXPECT_EQ((*entries)[5].entry.dev_minor, 16u);
}

// Formats that can carry long names, large ids and negative times.
class ExtendedTarFormats : public testing::TestWithParam<TarFormat> {};

TEST_P(ExtendedTarFormats, LongNamesAndTargets) {
  std::string dir = std::string(60, 'd') + "/" + std::string(60, 'e');
  std::string name = dir + "/" + std::string(90, 'f');
  std::string target = std::string(70, 't') + "/" + std::string(70, 'u');
  std::string tar = TarBuilder(GetParam())
                        .file(name, "x")
                        .symlink(dir + "/link", target)
                        .hardlink(dir + "/hard", name)
                        .finish();
  auto entries = read_entries(tar);
  ASSERT_TRUE(entries) << entries.error().message();
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].entry.path, name);
  EXPECT_EQ((*entries)[0].content, "x");
  EXPECT_EQ((*entries)[1].entry.link_target, target);
  EXPECT_EQ((*entries)[2].entry.link_target, name);
}

TEST_P(ExtendedTarFormats, LargeIdsAndNegativeTimes) {
  std::string tar = TarBuilder(GetParam())
                        .file("f", "x")
                        .owner(3'000'000'000u, 70'000'000'000u)
                        .mtime(-1000)
                        .finish();
  if (GetParam() == TarFormat::gnu) {
    EXPECT_EQ(static_cast<unsigned char>(tar[108]) & 0x80, 0x80) << "expected a base-256 uid";
    // libarchive writes negative GNU times as 0: write -1000 in base-256.
    set_header_field(tar, 136, std::string(10, '\xff') + "\xfc\x18");
  }
  auto entries = read_entries(tar);
  ASSERT_TRUE(entries) << entries.error().message();
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].entry.uid, 3'000'000'000u);
  EXPECT_EQ((*entries)[0].entry.gid, 70'000'000'000u);
  EXPECT_EQ((*entries)[0].entry.mtime_sec, -1000);
}

std::string format_name(const testing::TestParamInfo<TarFormat>& info) {
  switch (info.param) {
    case TarFormat::pax: return "pax";
    case TarFormat::gnu: return "gnu";
    case TarFormat::ustar: return "ustar";
  }
  return "unknown";
}

INSTANTIATE_TEST_SUITE_P(TarReader, TarFormats,
                         testing::Values(TarFormat::pax, TarFormat::gnu, TarFormat::ustar),
                         format_name);
INSTANTIATE_TEST_SUITE_P(TarReader, ExtendedTarFormats,
                         testing::Values(TarFormat::pax, TarFormat::gnu), format_name);

TEST(TarReader, XattrsInArchiveOrder) {
  std::string cap("\x01\x00\x00\x02\x00\x30\x00\x00", 8);
  std::string tar = TarBuilder()
                        .file("bin/ping", "elf", 0755)
                        .xattr("user.foo", "bar")
                        .xattr("security.capability", cap)
                        .xattr("trusted.overlay.opaque", "y")
                        .dir("plain")
                        .finish();
  auto entries = read_entries(tar);
  ASSERT_TRUE(entries) << entries.error().message();
  ASSERT_EQ(entries->size(), 2u);
  std::vector<Xattr> want = {
      {"user.foo", "bar"}, {"security.capability", cap}, {"trusted.overlay.opaque", "y"}};
  EXPECT_EQ((*entries)[0].entry.xattrs, want);
  EXPECT_TRUE((*entries)[1].entry.xattrs.empty());
}

TEST(TarReader, PaxSubsecondMtime) {
  auto entries = read_entries(TarBuilder().file("f", "").mtime(1234, 567890000).finish());
  ASSERT_TRUE(entries) << entries.error().message();
  EXPECT_EQ((*entries)[0].entry.mtime_sec, 1234);
  EXPECT_EQ((*entries)[0].entry.mtime_nsec, 567890000u);
}

TEST(TarReader, NonUtf8AndUtf8PathsKeepTheirBytes) {
  std::string latin1 = "caf\xe9";
  std::string utf8 = "caf\xc3\xa9";
  for (TarFormat format : {TarFormat::pax, TarFormat::gnu}) {
    auto entries = read_entries(TarBuilder(format).file(latin1, "a").file(utf8, "b").finish());
    ASSERT_TRUE(entries) << entries.error().message();
    ASSERT_EQ(entries->size(), 2u);
    EXPECT_EQ((*entries)[0].entry.path, latin1);
    EXPECT_EQ((*entries)[1].entry.path, utf8);
  }
}

TEST(TarReader, SparseFileYieldsBlocksAtOffsets) {
  std::string tar = TarBuilder()
                        .sparse("holes", 1 << 20, {{4096, "abc"}, {512 * 1024, "xyz"}})
                        .file("after", "next")
                        .finish();
  auto entries = read_entries(tar);
  ASSERT_TRUE(entries) << entries.error().message();
  ASSERT_EQ(entries->size(), 2u);
  const auto& sparse = (*entries)[0];
  EXPECT_EQ(sparse.entry.size, 1u << 20);
  std::string want(1 << 20, '\0');
  want.replace(4096, 3, "abc");
  want.replace(512 * 1024, 3, "xyz");
  EXPECT_EQ(sparse.content, want);
  ASSERT_GE(sparse.blocks.size(), 2u);
  EXPECT_EQ(sparse.blocks.front().first, 4096u);
  EXPECT_LT(sparse.blocks.size(), 10u) << "holes must not be returned as data";
  EXPECT_EQ((*entries)[1].content, "next");
}

std::string pax_record(const std::string& key, const std::string& value) {
  std::string body = " " + key + "=" + value + "\n";
  std::string len = std::to_string(body.size() + 2);
  if (len.size() + body.size() != std::stoul(len)) len = std::to_string(body.size() + len.size());
  return len + body;
}

// pax allows a hardlink to carry the file's data again; ustar and GNU tar
// readers ignore a hardlink's size field, so a size without data is fine.
TEST(TarReader, HardlinkDataIsSkipped) {
  std::string pax = pax_record("path", "b");
  std::string with_data = ustar_header("a", '0', 5) + padded("hello") +
                          ustar_header("PaxHeaders/b", 'x', pax.size()) + padded(pax) +
                          ustar_header("b", '1', 5, "a") + padded("hello") +
                          ustar_header("c", '0', 3) + padded("end") + std::string(1024, '\0');
  std::string size_only = ustar_header("a", '0', 5) + padded("hello") +
                          ustar_header("b", '1', 5, "a") + ustar_header("c", '0', 3) +
                          padded("end") + std::string(1024, '\0');
  for (bool read_content : {true, false}) {
    for (const std::string& tar : {with_data, size_only}) {
      auto entries = read_entries(tar, read_content);
      ASSERT_TRUE(entries) << entries.error().message();
      ASSERT_EQ(entries->size(), 3u);
      EXPECT_EQ((*entries)[1].entry.type, EntryType::hardlink);
      EXPECT_EQ((*entries)[1].entry.size, 0u);
      EXPECT_EQ((*entries)[1].content, "");
      EXPECT_EQ((*entries)[2].entry.path, "c");
      if (read_content) {
        EXPECT_EQ((*entries)[2].content, "end");
      }
    }
  }
}

// A pax header with RECORDS, then a regular file "file" holding "hello".
std::string pax_then_file(const std::string& records) {
  return ustar_header("PaxHeaders/file", 'x', records.size()) + padded(records) +
         ustar_header("file", '0', 5) + padded("hello") + std::string(1024, '\0');
}

// libarchive skips a malformed pax record with a warning; cairn refuses the layer instead.
TEST(TarReader, MalformedPaxRecordsAreRefusedNamingTheEntry) {
  const std::pair<const char*, std::string> cases[] = {
      {"length beyond the header", "99 path=abc\n"},
      {"zero length", "0 path=abc\n"},
      {"no equals sign", "12 pathabcd\n"},
      {"no newline", "12 path=abcd"},
      {"NUL in the key", pax_record(std::string("pa\0th", 5), "abc")},
  };
  for (const auto& [what, records] : cases) {
    auto entries = read_entries(pax_then_file(records));
    ASSERT_FALSE(entries) << what;
    EXPECT_TRUE(entries.error().is(Errc::bad_input)) << what << ": " << entries.error().message();
    EXPECT_NE(entries.error().message().find("pax header of the entry \"file\" has a malformed"),
              std::string::npos)
        << what << ": " << entries.error().message();
  }
}

// (libarchive reads a negative pax time with a fraction without the fraction's sign, "-1.5" as
// -1 s + 0.5 s: the tar-split recorder beside it refuses such a layer; doc/layer-semantics.md.)
TEST(TarReader, AnEmptyPaxValueDeletesTheKeywordAndFractionalTimesAreExact) {
  auto entries = read_entries(pax_then_file(pax_record("path", "") + pax_record("mtime", "-7")));
  ASSERT_TRUE(entries) << entries.error().message();
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].entry.path, "file");  // the ustar name counts again
  EXPECT_EQ((*entries)[0].entry.mtime_sec, -7);
  entries = read_entries(pax_then_file(pax_record("mtime", "1700000000.123456789") +
                                       pax_record("path", "caf\xc3\xa9") +
                                       pax_record("uname", "\xc3\xbcser")));
  ASSERT_TRUE(entries) << entries.error().message();  // a charset warning loses nothing
  EXPECT_EQ((*entries)[0].entry.path, "caf\xc3\xa9");
  EXPECT_EQ((*entries)[0].entry.mtime_sec, 1700000000);
  EXPECT_EQ((*entries)[0].entry.mtime_nsec, 123456789u);
}

TEST(TarReader, AcceptsMissingEndOfArchiveBlocksAndEmptyStreams) {
  TarBuilder builder;
  builder.file("a", std::string(1000, 'a')).file("b", "b");
  for (const std::string& tar : {builder.finish(TarTrailer::none),
                                 builder.finish(TarTrailer::none) + std::string(512, '\0')}) {
    auto entries = read_entries(tar);
    ASSERT_TRUE(entries) << entries.error().message();
    ASSERT_EQ(entries->size(), 2u);
    EXPECT_EQ((*entries)[1].content, "b");
  }
  for (const std::string& tar : {std::string(), std::string(1024, '\0')}) {
    auto entries = read_entries(tar);
    ASSERT_TRUE(entries) << entries.error().message();
    EXPECT_TRUE(entries->empty());
  }
}

TEST(TarReader, TruncatedStreamsAreErrors) {
  std::string tar = TarBuilder(TarFormat::ustar)
                        .file("a", std::string(2000, 'a'))
                        .file("b", std::string(100, 'b'))
                        .finish(TarTrailer::none);
  struct Case {
    std::string what;
    size_t length;
  } cases[] = {
      {"inside the first header", 300},
      {"inside the data", 512 + 1000},
      {"inside the second header", 512 + 2048 + 100},
      {"inside the last data", tar.size() - 512 + 90},
  };
  for (const auto& c : cases) {
    for (bool read_content : {true, false}) {
      auto entries = read_entries(tar.substr(0, c.length), read_content);
      ASSERT_FALSE(entries) << c.what;
      EXPECT_TRUE(entries.error().is(Errc::bad_input)) << c.what;
      EXPECT_EQ(entries.error().message().rfind("truncated tar", 0), 0u)
          << c.what << ": " << entries.error().message();
    }
  }
}

// umoci's `insert` ends a layer right after the last file's data; Go's
// archive/tar (umoci, Docker) reads that as the end of the archive.
TEST(TarReader, AcceptsMissingPaddingAfterTheLastFile) {
  std::string tar = TarBuilder(TarFormat::ustar)
                        .file("a", std::string(700, 'a'))
                        .file("b", std::string(100, 'b'))
                        .finish(TarTrailer::none);
  auto entries = read_entries(tar.substr(0, tar.size() - 512 + 100));
  ASSERT_TRUE(entries) << entries.error().message();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[1].content, std::string(100, 'b'));
}

TEST(TarReader, GarbageIsBadInput) {
  std::string garbage(4096, 'x');
  auto entries = read_entries(garbage);
  ASSERT_FALSE(entries);
  EXPECT_TRUE(entries.error().is(Errc::bad_input));
}

TEST(TarReader, SourceErrorIsReportedAsIs) {
  class FailAfter final : public Reader {
   public:
    explicit FailAfter(std::string data) : m_data(std::move(data)), m_inner(m_data) {}
    Result<size_t> read(std::span<std::byte> buf) override {
      ASSIGN_OR_RETURN(size_t n, m_inner.read(buf));
      if (n == 0) return fail(Errc::bad_input, "gzip: unexpected end of stream");
      return n;
    }

   private:
    std::string m_data;
    MemoryReader m_inner;
  };
  std::string tar = TarBuilder().file("a", std::string(300000, 'a')).finish();
  for (size_t cut : {size_t{100}, size_t{200000}}) {
    FailAfter source(tar.substr(0, cut));
    RecordingSink sink;
    auto count = read_tar_into(source, sink);
    ASSERT_FALSE(count);
    EXPECT_TRUE(count.error().is(Errc::bad_input));
    EXPECT_EQ(count.error().context(), "gzip: unexpected end of stream");
  }
}

TEST(TarReader, NextAndDataDirectly) {
  std::string tar = TarBuilder().file("a", "1234").dir("d").finish();
  MemoryReader source(tar);
  auto reader = TarReader::open(source);
  ASSERT_TRUE(reader);
  auto a = (*reader)->next();
  ASSERT_TRUE(a && *a);
  EXPECT_EQ((*a)->path, "a");
  auto d = (*reader)->next();  // content of "a" skipped unread
  ASSERT_TRUE(d && *d);
  EXPECT_EQ((*d)->type, EntryType::directory);
  auto block = (*reader)->data().next_block();
  ASSERT_TRUE(block);
  EXPECT_FALSE(*block);
  auto end = (*reader)->next();
  ASSERT_TRUE(end);
  EXPECT_FALSE(*end);
}

}  // namespace
}  // namespace cairn
