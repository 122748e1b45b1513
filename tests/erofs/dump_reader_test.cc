#include "erofs/dump_reader.h"

#include <gtest/gtest.h>

namespace cairn::erofs {
namespace {

const std::string k_root = "/ 4096 40755 2 0 0 0 0.0 - - -\n";

TEST(DumpReader, Unescapes) {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"plain", "plain"},      {"a\\\\b", "a\\b"},
      {"\\n\\r\\t", "\n\r\t"}, {"\\x20\\x2d", " -"},
      {"\\xfF", "\xff"},       {"", ""},
      {"x=y", "x=y"},          {"\\x00", std::string(1, '\0')},
  };
  for (const Case& c : cases) {
    auto got = unescape_dump_field(c.in);
    ASSERT_TRUE(got) << c.in;
    EXPECT_EQ(*got, c.out) << c.in;
  }
  for (const char* bad : {"\\", "\\x", "\\x4", "\\xg0", "\\a", "\\0", "ab\\"}) {
    auto got = unescape_dump_field(bad);
    ASSERT_FALSE(got) << bad;
    EXPECT_TRUE(got.error().is(Errc::bad_input));
  }
}

TEST(DumpReader, ParsesEveryField) {
  const std::string digest(64, 'a');
  std::string dump = k_root +
                     "/d 0 40700 5 1 2 0 10.5 - - - user.a=1 user.b=x\\x3dy user.a=2\n"
                     "/d/f 3 100644 2 1000 1000 0 7.8 ab/cd abc " +
                     digest +
                     " trusted.k=\n"
                     "/d/obj 9 100600 1 0 0 0 1.0 ab/cdef - " +
                     digest +
                     "\n"
                     "/dev 0 20644 1 0 0 2049 1.0 - - -\n"
                     "/l 3 120777 1 0 0 0 1.0 a\\x20b - -\n"
                     "/d/g 0 @100644 0 0 0 0 0.0 /d/f - -\n";
  auto tree = parse_dump(dump, DumpParse::strict);
  ASSERT_TRUE(tree) << tree.error().message();
  auto d = tree->lookup("/d");
  ASSERT_TRUE(d);
  const Inode& dir = tree->inode(*d);
  EXPECT_EQ(dir.mode, 040700u);
  EXPECT_EQ(dir.uid, 1u);
  EXPECT_EQ(dir.gid, 2u);
  EXPECT_EQ(dir.mtime_sec, 10);
  EXPECT_EQ(dir.mtime_nsec, 5u);
  EXPECT_EQ(dir.xattrs.at("user.a"), "2");
  EXPECT_EQ(dir.xattrs.at("user.b"), "x=y");
  const Inode& f = tree->inode(*tree->lookup("/d/f"));
  EXPECT_EQ(f.content, "abc");
  EXPECT_EQ(f.nlink, 2u);
  EXPECT_EQ(f.xattrs.at("trusted.k"), "");
  const Inode& obj = tree->inode(*tree->lookup("/d/obj"));
  EXPECT_FALSE(obj.content);
  EXPECT_EQ(obj.payload, "ab/cdef");
  ASSERT_TRUE(obj.verity_digest);
  EXPECT_EQ(verity_hex(*obj.verity_digest), digest);
  EXPECT_EQ(tree->inode(*tree->lookup("/dev")).rdev, 2049u);
  EXPECT_EQ(tree->inode(*tree->lookup("/l")).payload, "a b");
  EXPECT_EQ(*tree->lookup("/d/g"), *tree->lookup("/d/f"));
  EXPECT_EQ(tree->children(*d).at("g").kind, EntryKind::hard_link);
}

TEST(DumpReader, LenientAcceptsWhatStrictRejects) {
  const std::string cases[] = {
      "/ 4096 40755 2 0 0 0 0.0 - - -",                      // no final newline
      k_root + "/l 99 120777 1 0 0 0 0.0 target - -\n",      // symlink size
      k_root + "/f 0 100644 1 0 0 7 0.0 - - -\n",            // rdev on a file
      k_root + "/l 6 120777 1 0 0 0 0.0 target xxxxxx -\n",  // symlink content
      k_root + "/f 0 100644 1 0 0 0 0.0\n",                  // missing fields
  };
  for (const std::string& dump : cases) {
    EXPECT_TRUE(parse_dump(dump, DumpParse::lenient)) << dump;
    auto strict = parse_dump(dump, DumpParse::strict);
    ASSERT_FALSE(strict) << dump;
    EXPECT_TRUE(strict.error().is(Errc::bad_input));
  }
  auto tree = parse_dump(cases[1], DumpParse::lenient);
  EXPECT_EQ(tree->inode(*tree->lookup("/l")).size, 6u);
}

TEST(DumpReader, RejectsMalformedDumps) {
  const std::string big(5001, 'x');
  const std::string cases[] = {
      "",
      "\n",
      "/a 0 100644 1 0 0 0 0.0 - - -\n",             // no root yet
      "/ 0 100644 1 0 0 0 0.0 - - -\n",              // root not a dir
      k_root + k_root,                               // two roots
      k_root + "/a/b 0 100644 1 0 0 0 0.0 - - -\n",  // missing parent
      k_root + "/a 0 100644 1 0 0 0 0.0 - - -\n/a/b 0 100644 1 0 0 0 0.0 - - -\n",
      k_root + "/a 0 100644 1 0 0 0 0.0 - - -\n/a 0 100644 1 0 0 0 0.0 - - -\n",
      k_root + "/a/. 0 100644 1 0 0 0 0.0 - - -\n",
      k_root + "/a 0 170644 1 0 0 0 0.0 - - -\n",  // unknown type
      k_root + "/a 0 100648 1 0 0 0 0.0 - - -\n",  // not octal
      k_root + "/a x 100644 1 0 0 0 0.0 - - -\n",
      k_root + "/a 0 100644 1 0 0 0 1 - - -\n",  // mtime without '.'
      k_root + "/a 0 100644 1 0 0 0 0.0 - - - nokey\n",
      k_root + "/a 0 100644 1 0 0 0 0.0 - - - =v\n",
      k_root + "/a 0 100644 1 0 0 0 0.0 - - - \\q=v\n",
      k_root + "/a 0 100644 1 0 0 0 0.0 - - -  \n",             // empty xattr token
      k_root + "/a 2 100644 1 0 0 0 0.0 - abc -\n",             // content size
      k_root + "/a 5001 100644 1 0 0 0 0.0 - " + big + " -\n",  // content too big
      k_root + "/a 0 100644 1 0 0 0 0.0 - - abcd\n",            // digest not 64 hex
      k_root + "/l 0 120777 1 0 0 0 0.0 - - -\n",               // symlink without target
      k_root + "/a 0 100644 1 0 0 0 0.0 - - -\n/b 0 @40755 1 0 0 0 0.0 /a - -\n",
      k_root + "/d 0 40755 1 0 0 0 0.0 - - -\n/b 0 @100644 1 0 0 0 0.0 /d - -\n",
      k_root + "/b 0 @100644 1 0 0 0 0.0 /b - -\n",  // link to itself
      k_root + "/b 0 @100644 1 0 0 0 0.0 /nowhere - -\n",
      k_root + "/b 0 @100644 1 0 0 0 0.0 /c - -\n/c 0 @100644 1 0 0 0 0.0 /b - -\n",
      k_root + "/a\0b 0 100644 1 0 0 0 0.0 - - -\n",
  };
  for (const std::string& dump : cases) {
    auto tree = parse_dump(dump, DumpParse::lenient);
    ASSERT_FALSE(tree) << dump;
    EXPECT_TRUE(tree.error().is(Errc::bad_input)) << tree.error().message();
  }
}

TEST(DumpReader, ErrorsNameTheLine) {
  auto tree = parse_dump(k_root + "/a 0 100644 1 0 0 0 0.0 - - - \\q=v\n", DumpParse::lenient);
  ASSERT_FALSE(tree);
  EXPECT_NE(tree.error().message().find("dump line 2"), std::string::npos)
      << tree.error().message();
}

TEST(DumpReader, HardLinkMayNameAnotherLink) {
  auto tree = parse_dump(k_root +
                             "/a 0 100644 3 0 0 0 0.0 - - -\n"
                             "/c 0 @100644 0 0 0 0 0.0 /b - -\n"
                             "/b 0 @100644 0 0 0 0 0.0 /a - -\n",
                         DumpParse::strict);
  ASSERT_TRUE(tree) << tree.error().message();
  EXPECT_EQ(*tree->lookup("/c"), *tree->lookup("/a"));
  EXPECT_EQ(tree->inode(*tree->lookup("/a")).nlink, 3u);
}

}  // namespace
}  // namespace cairn::erofs
