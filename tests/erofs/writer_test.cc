#include "erofs/writer.h"

#include <gtest/gtest.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>

#include "erofs/dump_reader.h"
#include "util/sha256.h"
#include "util/sys.h"
#include "util/temp_dir.h"

namespace cairn::erofs {
namespace {

Inode make(std::uint32_t mode, std::int64_t mtime = 1000) {
  Inode inode;
  inode.mode = mode;
  inode.mtime_sec = mtime;
  return inode;
}

Tree minimal_tree() {
  return Tree(make(S_IFDIR | 0755));
}

// Most inode kinds and layouts: backed, inline (tail and block) and empty
// files, a hard link, a symlink, devices, shared and escaped xattrs, an
// inode that needs the extended form, a directory spilling into a block.
Tree mixed_tree() {
  Tree tree(make(S_IFDIR | 0755));
  auto add = [&tree](const char* path, Inode inode) {
    auto added = tree.add(path, std::move(inode));
    CHECK(added.has_value());
  };
  add("/etc", make(S_IFDIR | 0755));
  Inode backed = make(S_IFREG | 0644);
  backed.size = 123456;
  backed.payload = "ab/cdef";
  backed.verity_digest = fsverity_digest("backing object");
  backed.nlink = 2;
  backed.xattrs["user.shared"] = "same";
  add("/etc/backed", backed);
  Inode small = make(S_IFREG | 0600);
  small.content = "hello\n";
  small.size = 6;
  small.xattrs["user.shared"] = "same";
  small.xattrs["trusted.overlay.opaque"] = "y";
  add("/etc/small", small);
  Inode large = make(S_IFREG | 0600, 2000);
  large.content = std::string(3000, 'z');
  large.size = large.content->size();
  large.uid = 100000;
  add("/etc/large", large);
  Inode larger = make(S_IFREG | 0600);
  larger.content = std::string(4600, 'y');
  larger.size = larger.content->size();
  add("/etc/larger", larger);
  add("/etc/empty", make(S_IFREG | 0644));
  CHECK(tree.add_hardlink("/backed-link", "/etc/backed").has_value());
  Inode link = make(S_IFLNK | 0777);
  link.payload = "etc/small";
  link.size = link.payload.size();
  add("/link", link);
  Inode chr = make(S_IFCHR | 0600);
  chr.rdev = makedev(1, 3);
  add("/null", chr);
  Inode blk = make(S_IFBLK | 0600);
  blk.rdev = makedev(8, 1);
  add("/sda1", blk);
  add("/fifo", make(S_IFIFO | 0600));
  add("/sock", make(S_IFSOCK | 0600));
  add("/many", make(S_IFDIR | 0755));
  for (int i = 0; i < 200; ++i) {
    add(("/many/entry-with-a-longish-name-" + std::to_string(i)).c_str(), make(S_IFREG | 0644));
  }
  return tree;
}

Tree whiteout_tree() {
  Tree tree(make(S_IFDIR | 0755));
  CHECK(tree.add("/dir", make(S_IFDIR | 0755)).has_value());
  CHECK(tree.add("/dir/gone", make(S_IFCHR | 0644)).has_value());
  return tree;
}

struct Golden {
  const char* name;
  Tree (*build)();
  WriteOptions options;
  std::uint32_t version;
  const char* sha256;
};

const Golden k_goldens[] = {
    {"minimal",
     minimal_tree,
     {0, 1},
     0,
     "8745b54bbd356678316de9558597af711bb46f0bb881de3d63f114e8b9c945f4"},
    {"mixed",
     mixed_tree,
     {0, 1},
     0,
     "499add0d8e39c33bd894aaf2a4739bd4c3659ca78cfe08e7a60cd575cd6efbe5"},
    {"whiteout v0",
     whiteout_tree,
     {0, 0},
     0,
     "7cee87e19f16c705ae3f3ebe22e6f85a588225efa952379dd362c2194dcb246a"},
    {"whiteout raised to v1",
     whiteout_tree,
     {0, 1},
     1,
     "a04a2bf8ec6a63eb2a07f8a38aa4e9695a5ab67007138d52d490332a7f1f89e2"},
};

std::string write_image(const Tree& tree, const WriteOptions& options, ImageInfo* info_out) {
  StringImageSink sink;
  auto info = write_composefs_image(tree, options, sink);
  EXPECT_TRUE(info) << info.error().message();
  if (info && info_out) *info_out = *info;
  return sink.data();
}

TEST(ComposefsWriter, GoldenImages) {
  for (const Golden& golden : k_goldens) {
    ImageInfo info;
    std::string image = write_image(golden.build(), golden.options, &info);
    EXPECT_EQ(to_hex(Sha256::of(image)), golden.sha256) << golden.name;
    EXPECT_EQ(info.version, golden.version) << golden.name;
    EXPECT_EQ(info.size, image.size()) << golden.name;
    EXPECT_EQ(image.size() % 4096, 0u) << golden.name;
    EXPECT_EQ(verity_hex(info.fsverity_digest), verity_hex(fsverity_digest(image))) << golden.name;
  }
}

TEST(ComposefsWriter, HeaderAndSuperblock) {
  std::string image = write_image(minimal_tree(), {}, nullptr);
  ASSERT_EQ(image.size(), 4096u * 4);  // root's 258 entries take a block
  EXPECT_EQ(image.substr(0, 8), std::string("\x9a\x62\x78\xd0\x01\x00\x00\x00", 8));
  EXPECT_EQ(image.substr(1024, 4), std::string("\xe2\xe1\xf5\xe0", 4));
  EXPECT_EQ(image[1024 + 12], 12);                                    // blkszbits
  EXPECT_EQ(image.substr(1024 + 14, 2), std::string("\x24\x00", 2));  // root nid 36
}

TEST(ComposefsWriter, VersionBounds) {
  StringImageSink sink;
  auto too_new = write_composefs_image(minimal_tree(), {2, 2}, sink);
  ASSERT_FALSE(too_new);
  EXPECT_TRUE(too_new.error().is(Errc::usage));
  ImageInfo info;
  write_image(whiteout_tree(), {1, 0}, &info);
  EXPECT_EQ(info.version, 1u);
  write_image(mixed_tree(), {0, 1}, &info);
  EXPECT_EQ(info.version, 0u);
}

TEST(ComposefsWriter, RejectsUnknownFileTypes) {
  Tree tree = minimal_tree();
  auto id = tree.add("/f", make(S_IFREG | 0644));
  ASSERT_TRUE(id);
  tree.inode(*id).mode = 0170644;
  StringImageSink sink;
  auto written = write_composefs_image(tree, {}, sink);
  ASSERT_FALSE(written);
  EXPECT_TRUE(written.error().is(Errc::bad_input));
}

TEST(ComposefsWriter, RejectsBackedFileBeyondTheChunkIndex) {
  Tree tree = minimal_tree();
  Inode huge = make(S_IFREG | 0644);
  huge.size = std::uint64_t{1} << 60;
  ASSERT_TRUE(tree.add("/huge", huge));
  StringImageSink sink;
  auto written = write_composefs_image(tree, {}, sink);
  ASSERT_FALSE(written);
  EXPECT_TRUE(written.error().is(Errc::unsupported));
}

std::string find_fsck() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/sbin:/usr/bin:/sbin:/bin";
  for (size_t start = 0; start <= dirs.size();) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/fsck.erofs";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return {};
}

TEST(ComposefsWriter, FsckErofsAcceptsImages) {
  std::string fsck = find_fsck();
  if (fsck.empty()) GTEST_SKIP() << "fsck.erofs (erofs-utils) is not installed";
  auto dir = TempDir::create("/tmp", "cairn-erofs-fsck-");
  ASSERT_TRUE(dir);
  for (const Golden& golden : k_goldens) {
    std::string path = dir->path() + "/image";
    ASSERT_TRUE(sys::write_file_atomic(path, write_image(golden.build(), golden.options, nullptr)));
    std::string command = fsck + " " + path + " >/dev/null 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0) << golden.name;
  }
}

}  // namespace
}  // namespace cairn::erofs
