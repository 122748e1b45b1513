#include "erofs/dump_reader.h"

#include <gtest/gtest.h>

#include <cstdint>

#include "erofs/dump_field.h"

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

// Numbers are read as C's strtoull reads them (mkcomposefs's parse_int_field).
TEST(DumpReader, NumbersReadLikeStrtoull) {
  struct Case {
    std::string text;
    int base;
    std::uint64_t value;
  };
  const Case cases[] = {
      {"5", 10, 5},
      {"+5", 10, 5},
      {"\t\v7", 10, 7},
      {"-0", 10, 0},
      {"-1", 10, UINT64_MAX},
      {"-5", 10, UINT64_MAX - 4},
      {"18446744073709551615", 10, UINT64_MAX},
      {"18446744073709551616", 10, UINT64_MAX},
      {"-99999999999999999999999", 10, UINT64_MAX},
      {"0755", 8, 0755},
      {"100644", 8, 0100644},
  };
  for (const Case& c : cases) {
    auto got = parse_dump_number(c.text, c.base, "n");
    ASSERT_TRUE(got) << c.text;
    EXPECT_EQ(*got, c.value) << c.text;
  }
  for (const char* bad : {"", "-", "+", "\t", "5x", "5\t", "0x10", "1.5", "--1"}) {
    EXPECT_FALSE(parse_dump_number(bad, 10, "n")) << bad;
  }
  EXPECT_FALSE(parse_dump_number("8", 8, "n"));
}

// What mkcomposefs 1.0.8 takes, cairn takes the same way.
TEST(DumpReader, AcceptsWhatMkcomposefsAccepts) {
  const std::string digest(64, 'b');
  std::string dump = k_root +
                     "/neg 0 100644 1 0 0 0 -5.3 - - -\n"
                     "/nsec 0 100644 1 0 0 0 1.1500000000 - - -\n"
                     "/hi 0 1100600 1 0 0 0 0.0 - - -\n"
                     "/plus 0 +100640 1 0 0 0 0.0 - - -\n"
                     "/ids 0 100644 4294967298 4294967297 -1 0 0.0 - - -\n"
                     "rel 0 40755 1 0 0 0 0.0 - - -\n"
                     "//rel//f 0 100644 1 0 0 0 0.0 - - -\n"
                     "/cut\\x00ignored 0 100644 1 0 0 0 0.0 - - -\n"
                     "/l 1 120777 1 0 0 0 0.0 t\\x00x - -\n"
                     "/x 0 100644 1 0 0 0 0.0 - - - user.a\\x00b=v\n"
                     "/d 9 100644 1 0 0 0 0.0 ab/cd - " +
                     digest +
                     "zz\n"
                     "/bad 0 100644 1 7 x y 0.0 - - -\n"
                     "/link 0 @100644 1 0 0 0 0.0 rel//f/ - -\n";
  auto tree = parse_dump(dump, DumpParse::lenient);
  ASSERT_TRUE(tree) << tree.error().message();
  auto at = [&](const char* path) -> const Inode& {
    auto id = tree->lookup(path);
    EXPECT_TRUE(id) << path;
    return tree->inode(*id);
  };
  EXPECT_EQ(at("/neg").mtime_sec, -5);
  EXPECT_EQ(at("/neg").mtime_nsec, 3u);
  EXPECT_EQ(at("/nsec").mtime_nsec, 1500000000u);
  EXPECT_EQ(at("/hi").mode, 0100600u);
  EXPECT_EQ(at("/plus").mode, 0100640u);
  EXPECT_EQ(at("/ids").nlink, 2u);
  EXPECT_EQ(at("/ids").uid, 1u);
  EXPECT_EQ(at("/ids").gid, UINT32_MAX);
  EXPECT_EQ(at("/rel/f").mode, 0100644u);
  EXPECT_EQ(at("/cut").mode, 0100644u);
  EXPECT_EQ(at("/l").payload, "t");
  EXPECT_EQ(at("/x").xattrs.count("user.a"), 1u);
  ASSERT_TRUE(at("/d").verity_digest);
  EXPECT_EQ(verity_hex(*at("/d").verity_digest), digest);
  EXPECT_EQ(at("/bad").gid, 0u);  // UID 7: mkcomposefs ignores the bad GID and RDEV
  EXPECT_EQ(*tree->lookup("/link"), *tree->lookup("/rel/f"));

  auto strict = parse_dump(k_root + "/bad 0 100644 1 7 x 0 0.0 - - -\n", DumpParse::strict);
  ASSERT_FALSE(strict);
  EXPECT_NE(strict.error().message().find("gid"), std::string::npos) << strict.error().message();
  EXPECT_FALSE(parse_dump(k_root + "/bad 0 100644 1 0 x 0 0.0 - - -\n", DumpParse::lenient));
}

// mkcomposefs's xattr limits: name 1-255 bytes, value up to 65535, an
// entry's xattrs within 32767 bytes of its accounting (12 for the first,
// 7 + name + value each) and its xattr text within 65535 bytes.
TEST(DumpReader, XattrLimitsAreMkcomposefss) {
  auto entry = [](const std::string& xattrs) {
    return k_root + "/f 0 100644 1 0 0 0 0.0 - - -" + xattrs + "\n";
  };
  const size_t fits = 32767 - 12 - 7 - 6;  // one xattr named "user.a"
  EXPECT_TRUE(parse_dump(entry(" user.a=" + std::string(fits, 'v')), DumpParse::strict));
  EXPECT_FALSE(parse_dump(entry(" user.a=" + std::string(fits + 1, 'v')), DumpParse::strict));
  // Replacing a key gives its share back.
  EXPECT_TRUE(
      parse_dump(entry(" user.a=" + std::string(fits, 'v') + " user.a=" + std::string(fits, 'w')),
                 DumpParse::strict));
  EXPECT_FALSE(
      parse_dump(entry(" user.a=" + std::string(16400, 'v') + " user.b=" + std::string(16400, 'w')),
                 DumpParse::strict));
  std::string many;
  while (many.size() <= 65535) many += " user.a=x";
  auto text = parse_dump(entry(many), DumpParse::strict);
  ASSERT_FALSE(text);
  EXPECT_NE(text.error().message().find("65535"), std::string::npos) << text.error().message();
  EXPECT_TRUE(parse_dump(entry(" " + std::string(255, 'n') + "=1"), DumpParse::strict));
  EXPECT_FALSE(parse_dump(entry(" " + std::string(256, 'n') + "=1"), DumpParse::strict));
  EXPECT_FALSE(parse_dump(entry(" \\x00=1"), DumpParse::strict));  // empty once cut at the NUL
}

// Where mkcomposefs's result is undefined or corrupt, cairn refuses.
TEST(DumpReader, RefusesWhatMkcomposefsWouldMakeUndefined) {
  const std::string cases[] = {
      k_root + "/a/ 0 100644 1 0 0 0 0.0 - - -\n",                             // empty last name
      k_root + "// 0 40755 1 0 0 0 0.0 - - -\n",                               // not the root
      k_root + "/d 9 100644 1 0 0 0 0.0 ab - " + std::string(63, 'a') + "\n",  // short digest
      k_root + "/d 9 100644 1 0 0 0 0.0 ab - " + std::string(63, 'a') + "z\n",
      k_root + "/b 0 @100644 1 0 0 0 0.0 // - -\n",     // link to the root
      k_root + "\\x00/a 0 100644 1 0 0 0 0.0 - - -\n",  // empty path
  };
  for (const std::string& dump : cases) {
    auto tree = parse_dump(dump, DumpParse::lenient);
    ASSERT_FALSE(tree) << dump;
    EXPECT_TRUE(tree.error().is(Errc::bad_input)) << tree.error().message();
  }
}

}  // namespace
}  // namespace cairn::erofs
