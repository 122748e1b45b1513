#include "backend/composefs/layer_index.h"

#include <gtest/gtest.h>

namespace cairn::composefs {
namespace {

IndexEntry entry(IndexOp op, std::string path, std::uint32_t mode = 0) {
  IndexEntry e;
  e.op = op;
  e.path = std::move(path);
  e.mode = mode;
  return e;
}

LayerIndex sample() {
  IndexEntry file = entry(IndexOp::regular, "dir with space/=eq\\back\n\x01\xff", 04755);
  file.uid = 4294967294u;
  file.gid = 7;
  file.mtime_sec = -5;
  file.mtime_nsec = 999999999;
  file.size = 12;
  file.data = std::string("inline\0bytes", 12);
  file.xattrs = {{"user.a=b", std::string("v\0 =\\", 5)}, {"trusted.overlay.x", ""}};
  IndexEntry big = entry(IndexOp::regular, "big", 0644);
  big.size = 1 << 20;
  big.object = erofs::fsverity_digest("x");
  IndexEntry link = entry(IndexOp::symlink, "l", 0777);
  link.data = "../t a";
  IndexEntry hard = entry(IndexOp::hardlink, "h");
  hard.data = "big";
  IndexEntry dev = entry(IndexOp::block_device, "b", 0600);
  dev.dev_major = 511;
  dev.dev_minor = 1048575;
  LayerIndex index;
  index.entries = {entry(IndexOp::directory, "", 0755),
                   file,
                   big,
                   entry(IndexOp::regular, "empty", 0600),
                   link,
                   hard,
                   dev,
                   entry(IndexOp::fifo, "p", 0644),
                   entry(IndexOp::whiteout, "etc/gone"),
                   entry(IndexOp::opaque, "")};
  return index;
}

TEST(LayerIndex, RoundTrips) {
  LayerIndex index = sample();
  std::string text = serialize_index(index);
  auto parsed = parse_index(text);
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->entries, index.entries);
  EXPECT_EQ(serialize_index(*parsed), text);
}

TEST(LayerIndex, FormatIsOneLinePerEntry) {
  LayerIndex index;
  IndexEntry e = entry(IndexOp::regular, "a b", 0644);
  e.mtime_sec = 1;
  e.size = 2;
  e.data = "hi";
  e.xattrs = {{"user.k", "v"}};
  index.entries = {e};
  EXPECT_EQ(serialize_index(index),
            "cairn-composefs-index 1\n"
            "f /a\\x20b 644 0 0 1 0 2 0 0 =hi user.k=v\n"
            "end 1\n");
}

TEST(LayerIndex, RejectsDamage) {
  std::string good = serialize_index(sample());
  const std::vector<std::string> bad = {
      "",
      good.substr(0, good.size() - 7),                                 // no end line
      good.substr(0, good.rfind("end")) + "end 3\n",                   // wrong count
      "cairn-composefs-index 2\nend 0\n",                              // unknown version
      "cairn-composefs-index 1\nx /a 0 0 0 0 0 0 0 0 -\nend 1\n",      // unknown op
      "cairn-composefs-index 1\nf a 0 0 0 0 0 0 0 0 -\nend 1\n",       // relative path
      "cairn-composefs-index 1\nf /a 9 0 0 0 0 0 0 0 -\nend 1\n",      // not octal
      "cairn-composefs-index 1\nf /a 0 0 0 0 0 0 0 0 @zz\nend 1\n",    // bad digest
      "cairn-composefs-index 1\nf /a\\x2 0 0 0 0 0 0 0 0 -\nend 1\n",  // bad escape
      "cairn-composefs-index 1\nf /a 0 0 0 0 0 0 0 0\nend 1\n",        // missing field
      good + "f /a 0 0 0 0 0 0 0 0 -\n",                               // data after the end
      "cairn-composefs-index 1\nf /a 0 0 0 0 0 9 0 0 =hi\nend 1\n",    // inline, not SIZE bytes
      "cairn-composefs-index 1\nf /a 0 0 0 0 0 2 0 0 -\nend 1\n",      // no content for SIZE
  };
  for (const std::string& text : bad) {
    auto parsed = parse_index(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_TRUE(parsed.error().is(Errc::corrupt_store)) << text;
  }
}

}  // namespace
}  // namespace cairn::composefs
