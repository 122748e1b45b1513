// SaveStreamWalker over tars built in memory: pax and GNU long names, links,
// data read partly or not at all, and streams cut anywhere.
#include "source/save_stream.h"

#include <gtest/gtest.h>

#include "support/tar_builder.h"

namespace cairn {
namespace {

using test::TarBuilder;
using test::TarFormat;

struct Walked {
  std::vector<std::string> names;
  std::vector<std::string> contents;
};

Result<Walked> walk(std::string_view bytes, bool read_data) {
  MemoryReader reader(bytes);
  SaveStreamWalker walker(reader, "test");
  Walked out;
  for (;;) {
    ASSIGN_OR_RETURN(std::optional<StreamMember> m, walker.next());
    if (!m) return out;
    out.names.push_back(m->name + (m->link.empty() ? "" : " -> " + m->link));
    if (read_data) {
      ASSIGN_OR_RETURN(std::string data, read_all(walker.data(), 1 << 20));
      out.contents.push_back(data);
    }
  }
}

std::string long_name() {
  return std::string(150, 'd') + "/" + std::string(120, 'f') + ".tar";
}

TEST(SaveStreamWalker, YieldsMembersInOrderWithLongNames) {
  for (TarFormat format : {TarFormat::pax, TarFormat::gnu}) {
    std::string tar = TarBuilder(format)
                          .dir("./abc/")
                          .file("abc/layer.tar", std::string(1000, 'x'))
                          .file(long_name(), "long")
                          .symlink("def/layer.tar", "../abc/layer.tar")
                          .file("manifest.json", "[]")
                          .finish();
    for (bool read_data : {true, false}) {
      auto walked = walk(tar, read_data);
      ASSERT_TRUE(walked) << walked.error().message();
      std::vector<std::string> expected = {"abc", "abc/layer.tar", long_name(),
                                           "def/layer.tar -> ../abc/layer.tar", "manifest.json"};
      EXPECT_EQ(walked->names, expected);
      if (read_data) {
        EXPECT_EQ(walked->contents[2], "long");
      }
    }
  }
}

TEST(SaveStreamWalker, AcceptsAMissingEndMarker) {
  std::string tar = TarBuilder().file("a", "1").finish(test::TarTrailer::none);
  auto walked = walk(tar, true);
  ASSERT_TRUE(walked) << walked.error().message();
  EXPECT_EQ(walked->names, std::vector<std::string>{"a"});
}

TEST(SaveStreamWalker, TruncatedStreamsAreBadInput) {
  std::string tar = TarBuilder().file("a", std::string(3000, 'a')).file("b", "b").finish();
  for (size_t cut : {size_t{100}, size_t{512}, size_t{1500}, size_t{3600}, size_t{4000}}) {
    for (bool read_data : {true, false}) {
      auto walked = walk(std::string_view(tar).substr(0, cut), read_data);
      ASSERT_FALSE(walked) << "cut at " << cut;
      EXPECT_TRUE(walked.error().is(Errc::bad_input)) << walked.error().message();
    }
  }
}

TEST(SaveStreamWalker, RejectsBadChecksumsAndEscapingNames) {
  std::string tar = TarBuilder().file("a", "1").finish();
  std::string corrupt = tar;
  corrupt[10] = 'z';
  EXPECT_FALSE(walk(corrupt, true));
  EXPECT_FALSE(walk(TarBuilder().file("../x", "1").finish(), true));
}

}  // namespace
}  // namespace cairn
