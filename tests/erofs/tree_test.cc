#include "erofs/tree.h"

#include <gtest/gtest.h>

namespace cairn::erofs {
namespace {

Inode make(std::uint32_t mode) {
  Inode inode;
  inode.mode = mode;
  return inode;
}

TEST(Tree, AddsLooksUpAndLinks) {
  Tree tree(make(S_IFDIR | 0755));
  auto dir = tree.add("/etc", make(S_IFDIR | 0755));
  ASSERT_TRUE(dir);
  auto file = tree.add("/etc/passwd", make(S_IFREG | 0644));
  ASSERT_TRUE(file);
  ASSERT_TRUE(tree.add_hardlink("/etc/passwd-", "/etc/passwd"));
  EXPECT_EQ(*tree.lookup("/etc/passwd-"), *file);
  EXPECT_EQ(*tree.lookup("/"), tree.root());
  const auto& children = tree.children(*dir);
  ASSERT_EQ(children.size(), 2u);
  EXPECT_EQ(children.begin()->first, "passwd");
  EXPECT_EQ(children.at("passwd").kind, EntryKind::primary);
  EXPECT_EQ(children.at("passwd-").kind, EntryKind::hard_link);
  EXPECT_EQ(tree.inode(*file).nlink, 1u);
}

TEST(Tree, SortsNamesBytewise) {
  Tree tree(make(S_IFDIR | 0755));
  for (const char* name : {"/b", "/\xc3\xa9", "/B", "/a", "/-"}) {
    ASSERT_TRUE(tree.add(name, make(S_IFREG | 0644)));
  }
  std::string order;
  for (const auto& [name, entry] : tree.children(tree.root())) order += name + ",";
  EXPECT_EQ(order, "-,B,a,b,\xc3\xa9,");
}

TEST(Tree, RejectsBadPathsAndLinks) {
  Tree tree(make(S_IFDIR | 0755));
  ASSERT_TRUE(tree.add("/d", make(S_IFDIR | 0755)));
  ASSERT_TRUE(tree.add("/f", make(S_IFREG | 0644)));
  const char* bad_paths[] = {"",       "f2",      "/",    "/d/",     "//x",
                             "/d/./x", "/d/../x", "/f/x", "/nope/x", "/f"};
  for (const char* path : bad_paths) {
    auto added = tree.add(path, make(S_IFREG | 0644));
    ASSERT_FALSE(added) << path;
    EXPECT_TRUE(added.error().is(Errc::bad_input)) << path;
  }
  EXPECT_FALSE(tree.add("/" + std::string(256, 'n'), make(S_IFREG | 0644)));
  EXPECT_TRUE(tree.add("/" + std::string(255, 'n'), make(S_IFREG | 0644)));
  EXPECT_FALSE(tree.add("/weird", make(0170644)));
  EXPECT_FALSE(tree.add_hardlink("/l", "/d"));
  EXPECT_FALSE(tree.add_hardlink("/l", "/missing"));
  EXPECT_FALSE(tree.add_hardlink("/f", "/f"));
  EXPECT_TRUE(tree.lookup("/missing").error().is(Errc::not_found));
}

}  // namespace
}  // namespace cairn::erofs
