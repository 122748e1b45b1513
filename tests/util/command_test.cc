#include "util/command.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(RunCommand, CapturesOutputErrorAndStatus) {
  auto out = run_command({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->exit_status, 3);
  EXPECT_EQ(out->out, "out\n");
  EXPECT_EQ(out->err, "err\n");
}

TEST(RunCommand, ArgumentsAreNotShellExpanded) {
  auto out = run_command({"echo", "$HOME", "a b", "*"});
  ASSERT_TRUE(out);
  EXPECT_EQ(out->out, "$HOME a b *\n");
}

TEST(RunCommand, MissingProgramExits127) {
  auto out = run_command({"cairn-no-such-program"});
  ASSERT_TRUE(out);
  EXPECT_EQ(out->exit_status, 127);
  EXPECT_NE(out->err.find("exec failed"), std::string::npos);
}

TEST(RunChecked, FailureCarriesCommandAndStderr) {
  auto out = run_checked({"sh", "-c", "echo 'cannot open pool/x' >&2; exit 1"});
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message().find("cannot open pool/x"), std::string::npos);
  EXPECT_NE(out.error().message().find("sh -c"), std::string::npos);
  auto ok = run_checked({"printf", "x\ty\n"});
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, "x\ty\n");
}

TEST(RunCommand, LargeOutputOnBothStreamsDoesNotDeadlock) {
  auto out = run_command({"sh", "-c", "head -c 300000 /dev/zero; head -c 300000 /dev/zero >&2"});
  ASSERT_TRUE(out);
  EXPECT_EQ(out->out.size(), 300000u);
  EXPECT_EQ(out->err.size(), 300000u);
}

}  // namespace
}  // namespace cairn
