#include "source/tar_index.h"

#include <gtest/gtest.h>

#include "support/source_fixtures.h"
#include "support/temp_dir_test.h"
#include "util/sys.h"

namespace cairn {
namespace {

using testing::TarFixture;

class TarIndexTest : public testing::TempDirTest {
 protected:
  // Writes the archive and indexes it.
  Result<TarIndex> index(const std::string& bytes) {
    std::string tar = path("a.tar");
    TRY(sys::write_file_atomic(tar, bytes));
    return TarIndex::open(tar);
  }
  std::string read(const TarIndex& tar, const std::string& path) {
    auto data = tar.read_member(path, 1 << 20);
    return data ? *data : "ERROR: " + data.error().message();
  }
};

TEST_F(TarIndexTest, IndexesMembersInPlace) {
  TarFixture t;
  t.dir("./blobs/");
  t.file("./blobs/one", "first");
  t.file("two", std::string(1000, 'x'));
  t.file(std::string(150, 'n') + "/long", "long name via pax");
  auto tar = index(t.finish());
  ASSERT_TRUE(tar) << tar.error().message();
  EXPECT_EQ(read(*tar, "blobs/one"), "first");
  EXPECT_EQ(read(*tar, "./blobs//one"), "first");
  EXPECT_EQ(read(*tar, "two"), std::string(1000, 'x'));
  EXPECT_EQ(read(*tar, std::string(150, 'n') + "/long"), "long name via pax");
  EXPECT_TRUE(tar->contains("blobs"));
  auto missing = tar->find("three");
  ASSERT_FALSE(missing);
  EXPECT_TRUE(missing.error().is(Errc::not_found));
}

TEST_F(TarIndexTest, ReadsGnuLongNamesAndSkipsGlobalHeaders) {
  TarFixture t;
  std::string long_name = std::string(120, 'g') + "/file";
  t.raw("././@LongLink", 'L', long_name + '\0', long_name.size() + 1);
  t.raw("short", '0', "gnu", 3);
  t.raw("pax_global_header", 'g', "20 comment=ignored\n", 19);
  t.file("after", "ok");
  auto tar = index(t.finish());
  ASSERT_TRUE(tar) << tar.error().message();
  EXPECT_EQ(read(*tar, long_name), "gnu");
  EXPECT_FALSE(tar->contains("short"));
  EXPECT_EQ(read(*tar, "after"), "ok");
  EXPECT_FALSE(tar->contains("pax_global_header"));
}

TEST_F(TarIndexTest, FollowsSymlinksAndHardlinks) {
  TarFixture t;
  t.file("abc.tar", "layer");
  t.symlink("id1/layer.tar", "../abc.tar");
  t.symlink("id2/layer.tar", "../id1/layer.tar");
  t.symlink("top.tar", "abc.tar");
  t.symlink("abs.tar", "/abc.tar");
  t.hardlink("hard.tar", "./abc.tar");
  t.symlink("loop1", "loop2");
  t.symlink("loop2", "loop1");
  t.symlink("escape", "../../etc/passwd");
  t.dir("adir");
  auto tar = index(t.finish());
  ASSERT_TRUE(tar) << tar.error().message();
  for (const char* name : {"id1/layer.tar", "id2/layer.tar", "top.tar", "abs.tar", "hard.tar"}) {
    EXPECT_EQ(read(*tar, name), "layer") << name;
  }
  for (const char* name : {"loop1", "escape", "adir"}) {
    auto found = tar->find(name);
    ASSERT_FALSE(found) << name;
    EXPECT_TRUE(found.error().is(Errc::bad_input)) << name << ": " << found.error().message();
  }
}

TEST_F(TarIndexTest, LaterMemberReplacesEarlier) {
  TarFixture t;
  t.file("x", "old");
  t.file("./x", "new");
  auto tar = index(t.finish());
  ASSERT_TRUE(tar);
  EXPECT_EQ(read(*tar, "x"), "new");
}

TEST_F(TarIndexTest, AcceptsMissingEndMarker) {
  TarFixture t;
  t.file("x", "data");
  auto tar = index(t.bytes());
  ASSERT_TRUE(tar) << tar.error().message();
  EXPECT_EQ(read(*tar, "x"), "data");
}

TEST_F(TarIndexTest, RejectsHostileArchives) {
  struct Case {
    const char* name;
    std::string bytes;
  };
  std::vector<Case> cases;
  {
    TarFixture t;
    t.file("../../etc/passwd", "x");
    cases.push_back({"dotdot name", t.finish()});
  }
  {
    TarFixture t;
    t.raw("huge", '0', "small", std::uint64_t{1} << 40);
    cases.push_back({"absurd size", t.finish()});
  }
  {
    TarFixture t;
    t.file("x", std::string(2000, 'x'));
    cases.push_back({"truncated data", t.bytes().substr(0, 1024)});
    cases.push_back({"truncated header", t.bytes().substr(0, 300)});
  }
  {
    TarFixture t;
    t.file("x", "data");
    std::string bytes = t.finish();
    bytes[10] ^= 1;
    cases.push_back({"bad checksum", bytes});
  }
  {
    TarFixture t;
    t.raw("pax", 'x', "99 path=x\n", 10);
    t.file("y", "");
    cases.push_back({"bad pax", t.finish()});
  }
  for (const Case& c : cases) {
    auto tar = index(c.bytes);
    ASSERT_FALSE(tar) << c.name;
    EXPECT_TRUE(tar.error().is(Errc::bad_input)) << c.name << ": " << tar.error().message();
  }
}

TEST(NormalizeArchivePath, Table) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"./a/b", "a/b"}, {"a//b/", "a/b"}, {"/a/./b", "a/b"}, {"a/../b", "b"}, {"./", ""},
  };
  for (const Case& c : cases) EXPECT_EQ(normalize_archive_path(c.in), c.out) << c.in;
  EXPECT_FALSE(normalize_archive_path("a/../../b"));
  EXPECT_FALSE(normalize_archive_path(".."));
}

}  // namespace
}  // namespace cairn
