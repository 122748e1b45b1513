#include "erofs/fsverity.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

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

namespace cairn::erofs {
namespace {

// update_zeros(N) must give what update() with N zero bytes gives, wherever
// the run starts and ends relative to data and tree blocks.
TEST(FsVerityZeros, EqualsHashingTheZeros) {
  const std::vector<std::uint64_t> runs = {0,
                                           1,
                                           4095,
                                           4096,
                                           4097,
                                           128 * 4096,
                                           128 * 4096 + 17,
                                           129 * 4096 * 3 + 5,
                                           128 * 128 * 4096 + 4096};
  const std::string head(1000, 'h');
  const std::string tail(5000, 't');
  for (std::uint64_t zeros : runs) {
    for (bool with_head : {false, true}) {
      FsVerityHasher fast;
      FsVerityHasher slow;
      if (with_head) {
        fast.update(head);
        slow.update(head);
      }
      fast.update_zeros(zeros);
      slow.update(std::string(static_cast<size_t>(zeros), '\0'));
      fast.update(tail);
      slow.update(tail);
      fast.update_zeros(zeros / 3);
      slow.update(std::string(static_cast<size_t>(zeros / 3), '\0'));
      EXPECT_EQ(fast.size(), slow.size());
      EXPECT_EQ(verity_hex(fast.finish()), verity_hex(slow.finish()))
          << zeros << " zeros, head " << with_head;
    }
  }
}

TEST(FsVerityZeros, ATebibyteHoleIsCheap) {
  FsVerityHasher hasher;
  hasher.update("x");
  hasher.update_zeros(std::uint64_t{1} << 40);
  EXPECT_EQ(hasher.size(), (std::uint64_t{1} << 40) + 1);
  EXPECT_EQ(verity_hex(hasher.finish()).size(), 64u);
}

}  // namespace
}  // namespace cairn::erofs

namespace cairn::erofs {
namespace {

// A sparse file hashes as its content, holes read as zeros without reading them.
TEST(FsVerityZeros, SparseFileHashesAsItsContent) {
  char path[] = "/tmp/cairn-sparse-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string content(3 * 1024 * 1024 + 123, '\0');
  for (std::uint64_t at : {std::uint64_t{5000}, std::uint64_t{2 * 1024 * 1024 + 7}}) {
    const std::string data = "data at " + std::to_string(at);
    content.replace(static_cast<size_t>(at), data.size(), data);
    ASSERT_EQ(::pwrite(fd, data.data(), data.size(), static_cast<off_t>(at)),
              static_cast<ssize_t>(data.size()));
  }
  ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(content.size())), 0);
  auto digest = fsverity_digest_fd(fd, path);
  ::close(fd);
  ::unlink(path);
  ASSERT_TRUE(digest) << digest.error().message();
  EXPECT_EQ(verity_hex(*digest), verity_hex(fsverity_digest(content)));
}

}  // namespace
}  // namespace cairn::erofs
