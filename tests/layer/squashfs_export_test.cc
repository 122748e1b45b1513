// write_squashfs against the real mksquashfs/unsquashfs (skipped without
// squashfs-tools): extras added or replacing the tree's own, a missing
// parent made, a parent that is not a directory refused, the tree left as it
// was, and the same bytes twice.
#include "layer/squashfs_export.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "support/temp_dir_test.h"
#include "util/command.h"
#include "util/sys.h"

namespace cairn {
namespace {

class SquashfsExportTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    if (std::system("command -v mksquashfs >/dev/null && command -v unsquashfs >/dev/null") != 0) {
      GTEST_SKIP() << "needs mksquashfs and unsquashfs (package squashfs-tools)";
    }
    TempDirTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(sys::make_dirs(path("tree/usr"), 0755));
    ASSERT_TRUE(sys::make_dirs(path("staging"), 0700));
    write_file("tree/usr/a", "a\n");
  }
  Result<void> build(const std::string& output) {
    return write_squashfs(path("tree"), {{"etc/rc", "new rc\n", 0755}, {"etc/fstab", "", 0644}},
                          1700000000, path("staging"), output);
  }
  std::string cat(const std::string& image, const std::string& file) {
    auto out = run_checked({"unsquashfs", "-cat", image, file});
    return out ? *out : "<" + out.error().message() + ">";
  }
};

TEST_F(SquashfsExportTest, ReplacesTheTreesOwnFileAndLeavesTheTreeAlone) {
  ASSERT_TRUE(sys::make_dirs(path("tree/etc"), 0755));
  write_file("tree/etc/rc", "the image's own\n");
  auto built = build(path("out.sqsh"));
  ASSERT_TRUE(built) << built.error().message();
  EXPECT_EQ(cat(path("out.sqsh"), "etc/rc"), "new rc\n");
  EXPECT_EQ(cat(path("out.sqsh"), "usr/a"), "a\n");
  EXPECT_EQ(*sys::read_file(path("tree/etc/rc")), "the image's own\n");
  EXPECT_FALSE(*sys::exists(path("tree/etc/fstab")));
}

TEST_F(SquashfsExportTest, MakesAMissingParent) {
  auto built = build(path("out.sqsh"));
  ASSERT_TRUE(built) << built.error().message();
  auto listing = run_checked({"unsquashfs", "-UTC", "-d", "R", "-lls", path("out.sqsh")});
  ASSERT_TRUE(listing);
  EXPECT_NE(listing->find("drwxr-xr-x root/root                38 2023-11-14 22:13 R/etc\n"),
            std::string::npos)
      << *listing;
  EXPECT_NE(listing->find("-rwxr-xr-x root/root                 7 2023-11-14 22:13 R/etc/rc\n"),
            std::string::npos)
      << *listing;
  EXPECT_EQ(cat(path("out.sqsh"), "etc/fstab"), "");
}

TEST_F(SquashfsExportTest, RefusesAParentThatIsNotADirectory) {
  ASSERT_EQ(::symlink("usr", path("tree/etc").c_str()), 0);
  auto built = build(path("out.sqsh"));
  ASSERT_FALSE(built);
  EXPECT_TRUE(built.error().is(Errc::unsupported)) << built.error().message();
}

TEST_F(SquashfsExportTest, SameBytesTwice) {
  ASSERT_TRUE(build(path("one.sqsh")));
  ASSERT_TRUE(::utimensat(AT_FDCWD, path("tree").c_str(), nullptr, 0) == 0);  // root time is TIME
  ASSERT_TRUE(build(path("two.sqsh")));
  EXPECT_EQ(*sys::read_file(path("one.sqsh")), *sys::read_file(path("two.sqsh")));
}

}  // namespace
}  // namespace cairn
