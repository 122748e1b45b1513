#include "source/tar_split.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "source/registry_auth.h"
#include "support/source_fixtures.h"
#include "support/temp_dir_test.h"
#include "util/sys.h"

namespace cairn {
namespace {

using testing::ustar_header;

constexpr size_t k_block = 512;
const std::string k_crc = base64_encode(std::string(8, '\x5a'));

std::string quoted(const std::string& text) {
  return nlohmann::json(text).dump();
}

std::string segment_line(const std::string& bytes, int position) {
  return R"({"type":2,"payload":")" + base64_encode(bytes) + R"(","position":)" +
         std::to_string(position) + "}";
}

// As docker's layer store has it: type 1, no "size" and a null checksum for
// an empty member, e.g. {"type":1,"name":"bin/","payload":null,"position":1}.
std::string file_line(const std::string& name, std::uint64_t size, int position) {
  std::string line = R"({"type":1,"name":)" + quoted(name);
  if (size > 0) line += R"(,"size":)" + std::to_string(size);
  line += size > 0 ? R"(,"payload":")" + k_crc + "\"" : std::string(R"(,"payload":null)");
  return line + R"(,"position":)" + std::to_string(position) + "}";
}

std::string file_line_raw(const std::string& name, std::uint64_t size, int position) {
  return R"({"type":1,"name_raw":")" + base64_encode(name) + R"(","size":)" + std::to_string(size) +
         R"(,"payload":")" + k_crc + R"(","position":)" + std::to_string(position) + "}";
}

std::string pattern(size_t size, unsigned seed) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i)
    out[i] = static_cast<char>((i * 131 + seed * 7 + i / 251) & 0xff);
  return out;
}

enum class NameField { name, name_raw };

// Writes a ustar archive, the tar-split lines that describe it and the
// unpacked layer directory together, the way docker's layer store holds a
// layer: a segment line before every member (its header plus the previous
// member's padding), a file line for every member, a last segment with the
// padding and the end-of-archive blocks.
class SplitBuilder {
 public:
  explicit SplitBuilder(std::string layer_dir) : m_dir(std::move(layer_dir)) {}

  SplitBuilder& file(const std::string& name, const std::string& content,
                     NameField field = NameField::name) {
    add(name, '0', content, {}, field);
    write_disk_file(name, content);
    return *this;
  }
  SplitBuilder& dir(const std::string& name) {
    add(name, '5', {}, {}, NameField::name);
    EXPECT_EQ(::mkdir(disk(name).c_str(), 0755), 0) << name;
    return *this;
  }
  SplitBuilder& symlink(const std::string& name, const std::string& target) {
    add(name, '2', {}, target, NameField::name);
    EXPECT_EQ(::symlink(target.c_str(), disk(name).c_str()), 0) << name;
    return *this;
  }
  SplitBuilder& hardlink(const std::string& name, const std::string& target) {
    add(name, '1', {}, target, NameField::name);
    EXPECT_EQ(::link(disk(target).c_str(), disk(name).c_str()), 0) << name;
    return *this;
  }
  // The end-of-archive blocks go into the last segment.
  SplitBuilder& finish() {
    m_pending += std::string(2 * k_block, '\0');
    m_tar += std::string(2 * k_block, '\0');
    flush();
    return *this;
  }

  const std::string& tar() const { return m_tar; }
  const std::vector<std::string>& lines() const { return m_lines; }
  std::string records() const {
    std::string out;
    for (const std::string& line : m_lines) out += line + "\n";
    return out;
  }

 private:
  void add(const std::string& name, char type, const std::string& content, const std::string& link,
           NameField field) {
    std::string header = ustar_header(name, type, content.size(), link);
    m_pending += header;
    m_tar += header;
    flush();
    m_lines.push_back(field == NameField::name ? file_line(name, content.size(), position())
                                               : file_line_raw(name, content.size(), position()));
    m_tar += content;
    std::string padding((k_block - content.size() % k_block) % k_block, '\0');
    m_pending += padding;
    m_tar += padding;
  }
  void flush() {
    if (m_pending.empty()) return;
    m_lines.push_back(segment_line(m_pending, position()));
    m_pending.clear();
  }
  int position() const { return static_cast<int>(m_lines.size()); }
  std::string disk(std::string name) const {
    while (name.starts_with('/')) name.erase(0, 1);
    while (name.starts_with("./")) name.erase(0, 2);
    return m_dir + "/" + name;
  }
  void write_disk_file(const std::string& name, const std::string& content) {
    auto written = sys::write_file_atomic(disk(name), content);
    EXPECT_TRUE(written) << written.error().message();
  }

  std::string m_dir;
  std::string m_tar;
  std::string m_pending;
  std::vector<std::string> m_lines;
};

// Hands out the records in pieces of `chunk` bytes.
class ChunkedReader final : public Reader {
 public:
  ChunkedReader(std::string data, size_t chunk) : m_data(std::move(data)), m_chunk(chunk) {}
  Result<size_t> read(std::span<std::byte> buf) override {
    size_t n = std::min({buf.size(), m_chunk, m_data.size() - m_pos});
    std::memcpy(buf.data(), m_data.data() + m_pos, n);
    m_pos += n;
    return n;
  }

 private:
  std::string m_data;
  size_t m_chunk;
  size_t m_pos = 0;
};

class FailingReader final : public Reader {
 public:
  Result<size_t> read(std::span<std::byte>) override { return fail_errno(EIO, "gunzip records"); }
};

class TarSplitTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    if (HasFatalFailure()) return;
    m_layer = path("layer");
    ASSERT_EQ(::mkdir(m_layer.c_str(), 0755), 0);
  }

  std::unique_ptr<TarSplitReader> reader(std::unique_ptr<Reader> records) {
    auto dir = sys::open(m_layer, O_RDONLY | O_DIRECTORY);
    EXPECT_TRUE(dir) << dir.error().message();
    return std::make_unique<TarSplitReader>(std::move(records), std::move(*dir), "sha256:abc");
  }
  std::unique_ptr<TarSplitReader> reader(const std::string& records, size_t chunk = 1 << 16) {
    return reader(std::make_unique<ChunkedReader>(records, chunk));
  }

  // Reads everything with a buffer of buf_size bytes.
  static Result<std::string> read_with(Reader& r, size_t buf_size) {
    std::string out;
    std::vector<std::byte> buf(buf_size);
    for (;;) {
      ASSIGN_OR_RETURN(size_t n, r.read(buf));
      if (n == 0) return out;
      out.append(reinterpret_cast<const char*>(buf.data()), n);
    }
  }

  // A layer with every kind of member the reader has to handle.
  SplitBuilder full_layer() {
    SplitBuilder b(m_layer);
    b.dir("etc")
        .file("etc/hosts", "127.0.0.1 localhost\n")
        .file("etc/empty", "")
        .file("etc/block", pattern(1024, 1))
        .file("etc/odd", pattern(1000, 2))
        .dir("./usr")
        .dir("./usr/bin")
        .file("./usr/bin/tool", pattern(300000, 3))
        .symlink("usr/bin/alias", "tool")
        .hardlink("usr/bin/tool2", "usr/bin/tool")
        .file("/etc/rooted", pattern(513, 4))
        .file("etc/caf\xe9", pattern(77, 5), NameField::name_raw)
        .finish();
    return b;
  }

  std::string m_layer;
};

TEST_F(TarSplitTest, ReassemblesTheTarWithAnyBufferSize) {
  SplitBuilder b = full_layer();
  for (size_t buf_size : {1, 7, 512, 4096, 65536, 1 << 20}) {
    for (size_t chunk : {size_t{1} << 16, size_t{13}}) {
      SCOPED_TRACE("buffer " + std::to_string(buf_size) + ", records chunk " +
                   std::to_string(chunk));
      auto r = reader(b.records(), chunk);
      auto out = read_with(*r, buf_size);
      ASSERT_TRUE(out) << out.error().message();
      EXPECT_TRUE(*out == b.tar()) << "sizes " << out->size() << " vs " << b.tar().size();
      std::byte more[8];
      auto again = r->read(more);
      ASSERT_TRUE(again);
      EXPECT_EQ(*again, 0u);
    }
  }
}

TEST_F(TarSplitTest, LineLayoutVariants) {
  SplitBuilder b = full_layer();
  std::string joined;
  for (const std::string& line : b.lines()) joined += "\n" + line + "\n\n";
  struct Case {
    const char* what;
    std::string records;
  } cases[] = {
      {"no newline after the last line", b.records().substr(0, b.records().size() - 1)},
      {"empty lines", joined},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    auto out = read_with(*reader(c.records), 4096);
    ASSERT_TRUE(out) << out.error().message();
    EXPECT_TRUE(*out == b.tar());
  }
  auto empty = read_with(*reader(std::string()), 4096);
  ASSERT_TRUE(empty) << empty.error().message();
  EXPECT_EQ(*empty, "");
}

TEST_F(TarSplitTest, SizeZeroMembersAreNotOpened) {
  std::string records = file_line("absent", 0, 0) + "\n" + file_line("../outside", 0, 1) + "\n" +
                        R"({"type":1,"name":"./","payload":null,"position":2})" + "\n" +
                        segment_line("tail", 3) + "\n";
  auto out = read_with(*reader(records), 512);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*out, "tail");
}

TEST_F(TarSplitTest, RecordsMayEndAfterAFile) {
  SplitBuilder b(m_layer);
  b.file("a", "hello");
  std::string records = b.records();
  auto out = read_with(*reader(records), 100);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_TRUE(*out == b.tar().substr(0, k_block + 5));
}

TEST_F(TarSplitTest, KeepsOneFileOpen) {
  SplitBuilder b(m_layer);
  for (int i = 0; i < 20; ++i) b.file("f" + std::to_string(i), pattern(600, i));
  b.finish();
  auto count_fds = [] {
    auto names = sys::list_directory("/proc/self/fd");
    return names ? names->size() : 0;
  };
  auto r = reader(b.records());
  size_t baseline = count_fds();
  std::byte buf[100];
  size_t most = 0;
  for (;;) {
    auto n = r->read(buf);
    ASSERT_TRUE(n) << n.error().message();
    if (*n == 0) break;
    most = std::max(most, count_fds());
  }
  EXPECT_LE(most, baseline + 1);
}

TEST_F(TarSplitTest, FileTruncatedWhileRead) {
  SplitBuilder b(m_layer);
  b.file("big", pattern(100000, 9)).finish();
  auto r = reader(b.records());
  std::byte buf[1000];
  auto first = r->read(buf);  // the header and the start of the content
  ASSERT_TRUE(first) << first.error().message();
  ASSERT_EQ(::truncate((m_layer + "/big").c_str(), 2000), 0);
  auto rest = read_with(*r, 1000);
  ASSERT_FALSE(rest);
  EXPECT_TRUE(rest.error().is(Errc::bad_input)) << rest.error().message();
  EXPECT_EQ(rest.error().message().rfind("sha256:abc: tar-split line 2: big: ended after", 0), 0u)
      << rest.error().message();
}

TEST_F(TarSplitTest, RecordsReaderErrorsPassThrough) {
  auto out = read_with(*reader(std::make_unique<FailingReader>()), 512);
  ASSERT_FALSE(out);
  EXPECT_TRUE(out.error().is_errno(EIO)) << out.error().message();
  EXPECT_NE(out.error().message().find("gunzip records"), std::string::npos);
}

struct ErrorCase {
  const char* what;
  std::string records;
  std::function<void(const std::string& layer)> setup;
  std::string expect;  // part of the message
};

void write(const std::string& file, const std::string& content) {
  auto w = sys::write_file_atomic(file, content);
  ASSERT_TRUE(w) << w.error().message();
}

TEST_F(TarSplitTest, Errors) {
  auto hello = [](const std::string& layer) { write(layer + "/hello", "hello"); };
  std::string head = segment_line(std::string(k_block, 'h'), 0) + "\n";
  std::vector<ErrorCase> cases = {
      {"missing file", head + file_line("hello", 5, 1), nullptr, "line 2: hello: is missing"},
      {"size mismatch", head + file_line("hello", 6, 1), hello,
       "hello: has 5 bytes, the record says 6 (the layer directory changed since it was unpacked)"},
      {"symlink in place of the file", head + file_line("link", 5, 1),
       [&](const std::string& layer) {
         hello(layer);
         ASSERT_EQ(::symlink("hello", (layer + "/link").c_str()), 0);
       },
       "link: leads through a symlink"},
      {"directory symlink on the way", head + file_line("./d/hello", 5, 1),
       [&](const std::string& layer) {
         ASSERT_EQ(::mkdir((layer + "/real").c_str(), 0755), 0);
         write(layer + "/real/hello", "hello");
         ASSERT_EQ(::symlink("real", (layer + "/d").c_str()), 0);
       },
       "d/hello: leads through a symlink"},
      {"directory in place of the file", head + file_line("hello", 5, 1),
       [](const std::string& layer) { ASSERT_EQ(::mkdir((layer + "/hello").c_str(), 0755), 0); },
       "hello: is not a regular file"},
      {"fifo in place of the file", head + file_line("hello", 5, 1),
       [](const std::string& layer) { ASSERT_EQ(::mkfifo((layer + "/hello").c_str(), 0644), 0); },
       "hello: is not a regular file"},
      {"socket in place of the file", head + file_line("hello", 5, 1),
       [](const std::string& layer) {
         ASSERT_EQ(::mknod((layer + "/hello").c_str(), S_IFSOCK | 0644, 0), 0);
       },
       "hello: is not a regular file"},
      {"file on the way", head + file_line("hello/x", 5, 1), hello,
       "hello/x: has a parent that is not a directory"},
      {"dot-dot climbing out", head + file_line("a/../../hello", 5, 1), hello,
       "line 2: file name climbs out of the layer directory: \"a/../../hello\""},
      {"dot-dot name", file_line("..", 5, 0), nullptr, "climbs out of the layer directory"},
      {"empty name", file_line("./", 5, 0), nullptr, "line 1: an empty file name"},
      {"no name", R"({"type":1,"size":5,"payload":null,"position":0})", nullptr,
       "line 1: file without a \"name\""},
      {"bad name_raw", R"({"type":1,"name_raw":"%%%","size":5,"position":0})", nullptr,
       "\"name_raw\" is not base64"},
      {"malformed JSON", head + "{\"type\":2,\"payload\":\"aGk=\"\n", nullptr,
       "line 2: not a JSON object"},
      {"not an object", "[1,2]\n", nullptr, "line 1: not a JSON object"},
      {"truncated last line", head + file_line("hello", 5, 1).substr(0, 20), nullptr,
       "line 2: not a JSON object"},
      {"unknown type", head + "\n" + R"({"type":3,"payload":"aGk=","position":1})", nullptr,
       "line 3: unknown type 3"},
      {"type is a string", R"({"type":"2","payload":"aGk="})", nullptr, "no integer \"type\""},
      {"bad base64", R"({"type":2,"payload":"aGk!","position":0})", nullptr,
       "line 1: \"payload\" is not base64"},
      {"segment without payload", R"({"type":2,"position":0})", nullptr,
       "segment without a string \"payload\""},
      {"negative size", R"({"type":1,"name":"hello","size":-5})", hello,
       "\"size\" is not a count of bytes"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.what);
    ASSERT_TRUE(sys::remove_tree(m_layer));
    ASSERT_EQ(::mkdir(m_layer.c_str(), 0755), 0);
    if (c.setup) c.setup(m_layer);
    if (HasFatalFailure()) return;
    auto out = read_with(*reader(c.records), 4096);
    ASSERT_FALSE(out);
    std::string message = out.error().message();
    EXPECT_TRUE(out.error().is(Errc::bad_input)) << message;
    EXPECT_EQ(message.rfind("sha256:abc: tar-split line ", 0), 0u) << message;
    EXPECT_NE(message.find(c.expect), std::string::npos) << message;
  }
}

TEST_F(TarSplitTest, NamesAreCleanedAsDockersUnpackerCleanedThem) {
  ASSERT_EQ(::mkdir((m_layer + "/a").c_str(), 0755), 0);
  write(m_layer + "/a/hello", "hello");
  std::string segment(k_block, 'h');
  auto out = read_with(
      *reader(segment_line(segment, 0) + "\n" + file_line("./a/./b/../hello", 5, 1)), 4096);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*out, segment + "hello");
}

TEST(Base64, AcceptsGoStdEncoding) {
  // Go's encoding/base64 StdEncoding pads to a multiple of 4 characters.
  struct Case {
    std::string encoded, decoded;
  } cases[] = {
      {"", ""},
      {"AA==", std::string(1, '\0')},
      {"AAA=", std::string(2, '\0')},
      {"AAAA", std::string(3, '\0')},
      {"/+8=", "\xff\xef"},
      {"dXNyL2Jpbi9mb28=", "usr/bin/foo"},
  };
  for (const Case& c : cases) {
    auto d = base64_decode(c.encoded);
    ASSERT_TRUE(d) << c.encoded;
    EXPECT_EQ(*d, c.decoded) << c.encoded;
  }
}

}  // namespace
}  // namespace cairn
