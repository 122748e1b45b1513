#include "erofs/fsverity.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include "util/sys.h"
#include "util/temp_dir.h"

namespace cairn::erofs {
namespace {

// Deterministic test data: byte i is (7 * i + 3) mod 256.
std::string pattern(size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 7 + 3) & 0xff);
  return out;
}

struct KnownDigest {
  const char* name;
  std::string data;
  const char* digest;
};

// Values computed with an independent implementation of the fs-verity
// algorithm (and, for the empty file, as `fsverity digest` prints it).
std::vector<KnownDigest> known_digests() {
  return {
      {"empty", "", "3d248ca542a24fc62d1c43b916eae5016878e2533c88238480b26128a1f1af95"},
      {"hello", "hello", "555b589c26ee43b7a2510e6c67ced9fb3190b6da6e9e683984551f5d77a763de"},
      {"one block", pattern(4096),
       "326c3051712e1f652ccdfaa71ae780da3cccf62304fa7fb03bc7191bc833ff04"},
      {"one block and a byte", pattern(4097),
       "fb00345b7ad04abc59ba8e4318de64408d8ee394ee753512546e2f2b454d71ab"},
      {"one full hash block", pattern(128 * 4096),
       "63b839ad83d865013c0ad8636ee048fd3870e0fb6bdbc748e8a1a5c64bb845d3"},
      {"two tree levels", pattern(129 * 4096 + 1),
       "549bb4b470a027bcfd8155948c80df39f81394823abb4833ee667cdea7622e3a"},
  };
}

TEST(FsVerity, KnownAnswers) {
  for (const KnownDigest& known : known_digests()) {
    EXPECT_EQ(verity_hex(fsverity_digest(known.data)), known.digest) << known.name;
  }
}

TEST(FsVerity, StreamingInOddPiecesMatchesOneShot) {
  for (const KnownDigest& known : known_digests()) {
    FsVerityHasher hasher;
    std::string_view rest = known.data;
    for (size_t piece = 1; !rest.empty(); piece = piece * 3 + 1) {
      size_t n = std::min(piece, rest.size());
      hasher.update(rest.substr(0, n));
      rest.remove_prefix(n);
    }
    EXPECT_EQ(hasher.size(), known.data.size());
    EXPECT_EQ(verity_hex(hasher.finish()), known.digest) << known.name;
  }
}

TEST(FsVerity, ReaderAndFileAgree) {
  auto dir = TempDir::create("/tmp", "cairn-fsverity-");
  ASSERT_TRUE(dir) << dir.error().message();
  const KnownDigest known = known_digests().back();
  std::string path = dir->path() + "/data";
  ASSERT_TRUE(sys::write_file_atomic(path, known.data));
  auto from_file = fsverity_digest_file(path);
  ASSERT_TRUE(from_file) << from_file.error().message();
  EXPECT_EQ(verity_hex(*from_file), known.digest);
  MemoryReader reader(known.data);
  auto from_reader = fsverity_digest(reader);
  ASSERT_TRUE(from_reader);
  EXPECT_EQ(verity_hex(*from_reader), known.digest);
}

TEST(FsVerity, ParsesHex) {
  const std::string hex = "549bb4b470a027bcfd8155948c80df39f81394823abb4833ee667cdea7622e3a";
  auto digest = parse_verity_hex(hex);
  ASSERT_TRUE(digest);
  EXPECT_EQ(verity_hex(*digest), hex);
  for (std::string bad : {std::string(""), hex.substr(1), hex + "0", "g" + hex.substr(1)}) {
    auto parsed = parse_verity_hex(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_TRUE(parsed.error().is(Errc::bad_input));
  }
}

}  // namespace
}  // namespace cairn::erofs
