// Checks the writer against the golden vectors of the reference mkcomposefs
// (vectors.tsv and its dumps; see that directory's README). The directory is
// $CAIRN_COMPOSEFS_VECTORS, by default <source>/../shared/composefs-vectors.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <sstream>

#include "erofs/dump_reader.h"
#include "erofs/writer.h"
#include "layer/decompress.h"
#include "util/sha256.h"
#include "util/sys.h"

namespace cairn::erofs {
namespace {

std::string vectors_dir() {
  if (const char* env = std::getenv("CAIRN_COMPOSEFS_VECTORS"); env && *env) return env;
  return std::string(CAIRN_SOURCE_DIR) + "/../shared/composefs-vectors";
}

struct Vector {
  std::string name, min_version, max_version, image_sha256, fsverity_digest, dump;
  std::string parse_strict, image_version, image_size, expect;
};

std::vector<Vector> read_vectors(const std::string& dir) {
  auto text = sys::read_file(dir + "/vectors.tsv");
  EXPECT_TRUE(text) << text.error().message();
  std::vector<Vector> rows;
  std::istringstream lines(text ? *text : "");
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::istringstream fields(line);
    for (std::string field; std::getline(fields, field, '\t');) f.push_back(field);
    EXPECT_GE(f.size(), 10u) << line;
    if (f.size() < 10) continue;
    rows.push_back({f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9]});
  }
  return rows;
}

Result<Tree> load(const std::string& path, DumpParse mode) {
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open(path, O_RDONLY));
  FdReader file(std::move(fd), path);
  if (!path.ends_with(".gz")) return read_dump(file, mode);
  ASSIGN_OR_RETURN(auto gunzip, make_decompressor(file, Compression::gzip));
  return read_dump(*gunzip, mode);
}

std::uint32_t le32_at(const std::string& data, size_t offset) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(data[offset + i]);
  return v;
}

void check_ok_row(const std::string& dir, const Vector& v) {
  auto tree =
      load(dir + "/" + v.dump, v.parse_strict == "1" ? DumpParse::strict : DumpParse::lenient);
  ASSERT_TRUE(tree) << tree.error().message();
  WriteOptions options{static_cast<std::uint32_t>(std::stoul(v.min_version)),
                       static_cast<std::uint32_t>(std::stoul(v.max_version))};
  StringImageSink sink;
  auto info = write_composefs_image(*tree, options, sink);
  ASSERT_TRUE(info) << info.error().message();
  const std::string& image = sink.data();
  EXPECT_EQ(image.size(), std::stoull(v.image_size));
  EXPECT_EQ(info->size, image.size());
  EXPECT_EQ(to_hex(Sha256::of(image)), v.image_sha256);
  EXPECT_EQ(verity_hex(info->fsverity_digest), v.fsverity_digest);
  EXPECT_EQ(verity_hex(fsverity_digest(image)), v.fsverity_digest);
  ASSERT_GE(image.size(), 16u);
  EXPECT_EQ(le32_at(image, 12), std::stoul(v.image_version));
  EXPECT_EQ(info->version, std::stoul(v.image_version));
}

void check_fail_row(const std::string& dir, const Vector& v) {
  for (DumpParse mode : {DumpParse::lenient, DumpParse::strict}) {
    auto tree = load(dir + "/" + v.dump, mode);
    if (!tree) {
      EXPECT_TRUE(tree.error().is(Errc::bad_input)) << tree.error().message();
      continue;
    }
    StringImageSink sink;
    EXPECT_FALSE(write_composefs_image(*tree, {}, sink)) << "accepted";
  }
}

TEST(ComposefsVectors, EveryRowMatchesTheReference) {
  const std::string dir = vectors_dir();
  auto present = sys::exists(dir + "/vectors.tsv");
  if (!present || !*present) {
    GTEST_SKIP() << "composefs vectors not found at " << dir
                 << " (set CAIRN_COMPOSEFS_VECTORS to the directory holding vectors.tsv)";
  }
  std::vector<Vector> rows = read_vectors(dir);
  EXPECT_FALSE(rows.empty());
  for (const Vector& v : rows) {
    SCOPED_TRACE("vector " + v.name);
    if (v.expect == "fail") {
      check_fail_row(dir, v);
    } else {
      EXPECT_EQ(v.expect, "ok");
      check_ok_row(dir, v);
    }
  }
}

}  // namespace
}  // namespace cairn::erofs
