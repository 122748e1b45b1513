#include "layer/entry_limits.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TarEntry entry(std::string path) {
  TarEntry e;
  e.path = std::move(path);
  return e;
}

void expect_refused(const TarEntry& e, const std::string& why) {
  auto checked = check_entry_limits(e);
  ASSERT_FALSE(checked) << e.path.substr(0, 40);
  EXPECT_TRUE(checked.error().is(Errc::bad_input));
  EXPECT_NE(checked.error().message().find(why), std::string::npos) << checked.error().message();
}

TEST(EntryLimits, AcceptsWhatLinuxAccepts) {
  EXPECT_TRUE(check_entry_limits(entry(std::string(255, 'n'))));
  EXPECT_TRUE(check_entry_limits(entry("./a/" + std::string(255, 'n') + "/b")));
  std::string path;
  while (path.size() + 4 <= 4095) path += "abc/";
  EXPECT_TRUE(check_entry_limits(entry(path)));
  TarEntry x = entry("f");
  for (int i = 0; i < 100; ++i) x.xattrs.push_back({"user.k" + std::to_string(i), "v"});
  x.xattrs.push_back({"user.big", std::string(65536, 'v')});
  EXPECT_TRUE(check_entry_limits(x));
}

TEST(EntryLimits, RefusesLongNamesPathsAndTargets) {
  expect_refused(entry("a/" + std::string(256, 'n')), "a name of 256 bytes");
  expect_refused(entry(std::string(4096, 'a').replace(100, 1, "/")), "4096 bytes long");
  TarEntry hard = entry("h");
  hard.type = EntryType::hardlink;
  hard.link_target = std::string(256, 't');
  expect_refused(hard, "its link target has a name of 256 bytes");
  TarEntry sym = entry("s");
  sym.type = EntryType::symlink;
  sym.link_target = std::string(4096, 't');
  expect_refused(sym, "symlink target is 4096 bytes");
  sym.link_target = std::string(4095, 't');
  EXPECT_TRUE(check_entry_limits(sym));  // a symlink target is not a path of names
}

TEST(EntryLimits, RefusesXattrsLinuxCannotHold) {
  TarEntry e = entry("f");
  e.xattrs.push_back({"user." + std::string(251, 'k'), "v"});
  expect_refused(e, "is too long");
  e.xattrs = {{"user.k", std::string(65537, 'v')}};
  expect_refused(e, "is too long");
  e.xattrs.clear();
  for (int i = 0; i < 10000; ++i) e.xattrs.push_back({"user.k" + std::to_string(i), ""});
  expect_refused(e, "10000 xattrs whose names take");
}

}  // namespace
}  // namespace cairn
