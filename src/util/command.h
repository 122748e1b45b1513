// Runs an external command (the zfs backend drives `zfs`, the dir backend
// copies trees with `cp`): fork and exec,
// no shell, stdin from /dev/null, stdout and stderr captured.
#pragma once

#include <string>
#include <vector>

#include "util/error.h"

namespace cairn {

struct CommandOutput {
  int exit_status = 0;  // 128 + signal number if killed
  std::string out;
  std::string err;
};

// Runs ARGV (ARGV[0] is looked up on PATH) and waits for it; the command is
// SIGKILLed if cairn dies before it ends. Fails only if the
// command could not be run; a command that ran and failed is a CommandOutput
// with a nonzero exit_status.
Result<CommandOutput> run_command(const std::vector<std::string>& argv);

// As run_command, but a nonzero exit fails with EIO and a context of
// "ARGV...: <its stderr>". Returns its stdout.
Result<std::string> run_checked(const std::vector<std::string>& argv);
// The same check on the OUTPUT of an ARGV that has already run.
Result<std::string> checked_output(const std::vector<std::string>& argv, CommandOutput output);

}  // namespace cairn
