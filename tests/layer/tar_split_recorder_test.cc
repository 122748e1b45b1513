// The tar-split recorder against hand-made tars: record, then rebuild with
// source/tar_split.h from a fake LayerContents, and the bytes must be the
// same; a content changed since fails naming the file; a cut record fails.
#include "layer/tar_split_recorder.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <vector>

#include "oci/digest.h"
#include "source/tar_split.h"
#include "support/tar_builder.h"
#include "util/tar_header.h"

namespace cairn {
namespace {

using test::TarBuilder;
using test::TarFormat;
using test::TarTrailer;

class StringWriter final : public Writer {
 public:
  using Writer::write;
  Result<void> write(std::span<const std::byte> bytes) override {
    out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return {};
  }
  Result<void> finish() override { return {}; }
  std::string out;
};

// Contents by canonical path and occurrence.
class FakeContents final : public LayerContents {
 public:
  explicit FakeContents(std::map<std::string, std::vector<std::string>> files)
      : m_files(std::move(files)) {}
  Result<std::unique_ptr<Reader>> open(const ContentRef& ref) override {
    auto it = m_files.find(ref.path);
    if (it == m_files.end() || ref.occurrence >= it->second.size()) {
      return fail(Errc::not_found, ref.name + ": no such content");
    }
    opened.push_back(ref.path + "#" + std::to_string(ref.occurrence));
    return std::unique_ptr<Reader>(std::make_unique<StringReader>(it->second[ref.occurrence]));
  }
  std::vector<std::string> opened;

 private:
  std::map<std::string, std::vector<std::string>> m_files;
};

// Feeds TAR to a recorder in CHUNK-byte pieces.
std::string record(const std::string& tar, size_t chunk = 7) {
  StringWriter out;
  TarSplitRecorder recorder(out);
  for (size_t at = 0; at < tar.size(); at += chunk) {
    std::string_view piece = std::string_view(tar).substr(at, chunk);
    EXPECT_TRUE(recorder.consume(std::as_bytes(std::span(piece))));
  }
  EXPECT_TRUE(recorder.finish());
  return out.out;
}

Result<std::string> rebuild(const std::string& records,
                            std::map<std::string, std::vector<std::string>> files,
                            std::vector<std::string>* opened = nullptr) {
  auto contents = std::make_unique<FakeContents>(std::move(files));
  FakeContents* fake = contents.get();
  TarSplitReader reader(std::make_unique<StringReader>(records), std::move(contents), "layer");
  std::string out;
  std::vector<std::byte> buf(1000);
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, reader.read(buf));
    if (n == 0) break;
    out.append(reinterpret_cast<const char*>(buf.data()), n);
  }
  if (opened) *opened = fake->opened;
  return out;
}

// A raw ustar header block with a valid checksum.
std::string header(const std::string& name, char type, std::uint64_t size,
                   const std::string& link = "") {
  std::string b(512, '\0');
  std::memcpy(b.data(), name.data(), std::min<size_t>(name.size(), 100));
  std::snprintf(b.data() + 100, 8, "%07o", 0644);
  std::snprintf(b.data() + 108, 8, "%07o", 0);
  std::snprintf(b.data() + 116, 8, "%07o", 0);
  std::snprintf(b.data() + 124, 12, "%011llo", static_cast<unsigned long long>(size));
  std::snprintf(b.data() + 136, 12, "%011o", 0);
  b[156] = type;
  std::memcpy(b.data() + 157, link.data(), std::min<size_t>(link.size(), 100));
  std::memcpy(b.data() + 257,
              "ustar\0"
              "00",
              8);
  std::memset(b.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : b) sum += c;
  std::snprintf(b.data() + 148, 8, "%06o", sum);
  return b;
}

std::string padded(std::string data) {
  data.resize((data.size() + 511) / 512 * 512, '\0');
  return data;
}

std::string pax(const std::string& name, const std::string& records) {
  return header(name, 'x', records.size()) + padded(records);
}

std::string pax_record(const std::string& key, const std::string& value) {
  std::string body = " " + key + "=" + value + "\n";
  size_t len = body.size() + 1;
  while (std::to_string(len).size() + body.size() != len) ++len;
  return std::to_string(len) + body;
}

const std::string k_end(1024, '\0');

struct Case {
  std::string what;
  std::string tar;
  std::map<std::string, std::vector<std::string>> files;
  std::vector<std::string> opened;  // path#occurrence, in order
};

std::vector<Case> cases() {
  std::string long_name = std::string(120, 'd') + "/" + std::string(110, 'f');
  std::vector<Case> c;
  c.push_back({"ustar",
               TarBuilder(TarFormat::ustar)
                   .dir("etc")
                   .file("etc/hosts", "127.0.0.1\n")
                   .file("./etc/empty", "")
                   .symlink("s", "etc/hosts")
                   .finish(),
               {{"etc/hosts", {"127.0.0.1\n"}}},
               {"etc/hosts#0"}});
  c.push_back({"pax long names and xattrs",
               TarBuilder()
                   .file(long_name, std::string(3000, 'x'))
                   .xattr("user.k", "v")
                   .file("/etc/a", "a")
                   .finish(),
               {{long_name, {std::string(3000, 'x')}}, {"etc/a", {"a"}}},
               {long_name + "#0", "etc/a#0"}});
  c.push_back({"GNU long name",
               TarBuilder(TarFormat::gnu).file(long_name, "gnu").finish(),
               {{long_name, {"gnu"}}},
               {long_name + "#0"}});
  c.push_back({"a path written twice",
               TarBuilder().file("a", "one").file("./a", "two!").finish(),
               {{"a", {"one", "two!"}}},
               {"a#0", "a#1"}});
  c.push_back(
      {"whiteouts are not contents",
       TarBuilder().file("d/.wh.x", "").file("d/.wh..wh..opq", "").file("d/y", "y").finish(),
       {{"d/y", {"y"}}},
       {"d/y#0"}});
  c.push_back({"pax hardlink with data",
               pax("PaxHeaders/l", pax_record("path", "l")) + header("l", '1', 5, "f") +
                   padded("hello") + k_end,
               {},
               {}});
  c.push_back({"sparse (pax 1.0)",
               TarBuilder()
                   .sparse("sp", 1 << 20, {{4096, "data"}, {65536, "more"}})
                   .file("after", "after")
                   .finish(),
               {{"after", {"after"}}},
               {"after#0"}});
  c.push_back({"trailing garbage after the end blocks",
               TarBuilder().file("f", "f").finish() + std::string(700, 'g'),
               {{"f", {"f"}}},
               {"f#0"}});
  c.push_back({"no end blocks",
               TarBuilder().file("f", "content").finish(TarTrailer::none),
               {{"f", {"content"}}},
               {"f#0"}});
  c.push_back({"stream ends inside a header",
               header("f", '0', 1) + padded("x") + std::string(100, 'h'),
               {{"f", {"x"}}},
               {"f#0"}});
  c.push_back({"bad checksum: the rest is raw",
               header("f", '0', 1) + padded("x") + std::string(512, 'h') + header("g", '0', 1) +
                   padded("y"),
               {{"f", {"x"}}},
               {"f#0"}});
  return c;
}

TEST(TarSplitRecorder, RebuildGivesTheSameBytes) {
  for (const Case& c : cases()) {
    for (size_t chunk : {1, 7, 512, 100000}) {
      SCOPED_TRACE(c.what + ", chunks of " + std::to_string(chunk));
      std::string records = record(c.tar, chunk);
      std::vector<std::string> opened;
      auto out = rebuild(records, c.files, &opened);
      ASSERT_TRUE(out) << out.error().message();
      EXPECT_TRUE(*out == c.tar);
      EXPECT_EQ(out->size(), c.tar.size());
      EXPECT_EQ(opened, c.opened);
    }
  }
}

TEST(TarSplitRecorder, WritesDockersLineFormatWithADigest) {
  std::string records = record(TarBuilder().file("a", "hi").finish());
  EXPECT_NE(records.find(R"({"type":1,"name":"a","size":2,"digest":"sha256:)" +
                         std::string(Digest::of("hi").hex()) + R"(","position":1})"),
            std::string::npos)
      << records;
  EXPECT_EQ(records.rfind(R"({"type":2,"payload":")", 0), 0u) << records;
}

TEST(TarSplitRecorder, AChangedContentFailsNamingTheFile) {
  std::string records = record(TarBuilder().file("etc/passwd", "root").file("b", "b").finish());
  auto out = rebuild(records, {{"etc/passwd", {"ROOT"}}, {"b", {"b"}}});
  ASSERT_FALSE(out);
  EXPECT_TRUE(out.error().is(Errc::digest_mismatch)) << out.error().message();
  EXPECT_NE(out.error().message().find("etc/passwd"), std::string::npos) << out.error().message();
}

TEST(TarSplitRecorder, ACutRecordFails) {
  std::string tar = TarBuilder().file("a", "a").file("b", "bbbb").finish();
  std::string records = record(tar);
  std::string cut = records.substr(0, records.size() - 30);
  auto out = rebuild(cut, {{"a", {"a"}}, {"b", {"bbbb"}}});
  EXPECT_FALSE(out && *out == tar);
  if (!out) {
    EXPECT_TRUE(out.error().is(Errc::bad_input)) << out.error().message();
  }
}

// What libarchive would read wrongly without a word (a name cut at a NUL, a negative time with a
// fraction) is refused by the recorder, which every import runs beside the tar reader.
TEST(TarSplitRecorder, PaxValuesLibarchiveMisreadsAreRefused) {
  const std::pair<const char*, std::string> cases[] = {
      {"holds a NUL byte", pax_record("path", std::string("a\0b", 3))},
      {"holds a NUL byte", pax_record("linkpath", std::string("t\0u", 3))},
      {"is negative with a fraction", pax_record("mtime", "-1.5")},
  };
  for (const auto& [why, records] : cases) {
    std::string tar = pax("PaxHeaders/f", records) + header("f", '0', 1) + padded("x") + k_end;
    StringWriter out;
    TarSplitRecorder recorder(out);
    auto fed = recorder.consume(std::as_bytes(std::span(tar)));
    auto done = fed ? recorder.finish() : fed;
    ASSERT_FALSE(done) << why;
    EXPECT_TRUE(done.error().is(Errc::bad_input));
    EXPECT_NE(done.error().message().find(why), std::string::npos) << done.error().message();
  }
  for (const char* fine : {"-1", "-1.000", "1.5", "-7.0"}) {
    std::string tar =
        pax("PaxHeaders/f", pax_record("mtime", fine)) + header("f", '0', 1) + padded("x") + k_end;
    EXPECT_FALSE(record(tar).empty()) << fine;
  }
}

TEST(TarSplitRecorder, ATarCutInsideAFileIsRefused) {
  std::string tar = TarBuilder().file("a", std::string(2000, 'a')).finish();
  StringWriter out;
  TarSplitRecorder recorder(out);
  std::string_view head = std::string_view(tar).substr(0, 1000);
  ASSERT_TRUE(recorder.consume(std::as_bytes(std::span(head))));
  auto done = recorder.finish();
  ASSERT_FALSE(done);
  EXPECT_TRUE(done.error().is(Errc::bad_input));
}

}  // namespace
}  // namespace cairn
