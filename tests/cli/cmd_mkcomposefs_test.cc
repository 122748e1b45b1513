// Drives `cairn mkcomposefs` as a user would.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <optional>

#include "erofs/fsverity.h"
#include "support/compress.h"
#include "support/temp_dir_test.h"
#include "util/sys.h"

namespace cairn {
namespace {

const std::string k_dump =
    "/ 4096 40755 2 0 0 0 0.0 - - -\n"
    "/file 5 100644 1 0 0 0 0.0 ab/cdef - - user.x=1\n"
    "/inline 3 100644 1 0 0 0 0.0 - abc -\n";

struct CliRun {
  int status;
  std::string out;
};

CliRun run_cairn(const std::string& args) {
  std::string command = std::string(CAIRN_BINARY) + " mkcomposefs " + args + " 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, {}};
  std::string out;
  char buf[256];
  while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class MkcomposefsCli : public testing::TempDirTest {};

TEST_F(MkcomposefsCli, PrintsTheImageDigest) {
  ASSERT_TRUE(sys::write_file_atomic(path("tree.dump"), k_dump));
  CliRun run = run_cairn("--print-digest --from-dump " + path("tree.dump") + " " + path("a.img"));
  ASSERT_EQ(run.status, 0);
  auto digest = erofs::fsverity_digest_file(path("a.img"));
  ASSERT_TRUE(digest);
  EXPECT_EQ(run.out, erofs::verity_hex(*digest) + "\n");
}

TEST_F(MkcomposefsCli, ReadsGzipDumpsAndVersionFlags) {
  ASSERT_TRUE(sys::write_file_atomic(path("tree.dump"), k_dump));
  ASSERT_TRUE(sys::write_file_atomic(path("tree.dump.gz"), test::gzip(k_dump)));
  ASSERT_EQ(run_cairn("--from-dump " + path("tree.dump") + " " + path("a.img")).status, 0);
  ASSERT_EQ(
      run_cairn("--min-version 1 --from-dump " + path("tree.dump.gz") + " " + path("b.img")).status,
      0);
  auto a = sys::read_file(path("a.img"));
  auto b = sys::read_file(path("b.img"));
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->size(), b->size());
  EXPECT_EQ((*a)[12], 0);
  EXPECT_EQ((*b)[12], 1);
  EXPECT_EQ(a->substr(16), b->substr(16));
}

TEST_F(MkcomposefsCli, BadDumpWritesNothing) {
  ASSERT_TRUE(sys::write_file_atomic(path("bad.dump"), k_dump + "/x 0 @40755 1 0 0 0 0.0 / - -\n"));
  CliRun run = run_cairn("--from-dump " + path("bad.dump") + " " + path("c.img"));
  EXPECT_EQ(run.status, 4);
  EXPECT_FALSE(*sys::exists(path("c.img")));
  EXPECT_FALSE(*sys::exists(path("c.img.partial")));
  EXPECT_EQ(
      run_cairn("--max-version 2 --from-dump " + path("bad.dump") + " " + path("c.img")).status, 4);
}

}  // namespace
}  // namespace cairn
