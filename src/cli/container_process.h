// The runtime process of `cairn run`: crun in the foreground, its exit
// status passed through, signals cairn receives forwarded to it (crun passes
// them on to the container's process), and with a terminal a pty of cairn's
// own between the user's terminal and the container.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "util/error.h"

namespace cairn::cli {

enum class Terminal { inherit, pty };

struct RuntimeCommand {
  std::vector<std::string> argv;  // argv[0] is looked up on PATH
  Terminal terminal = Terminal::inherit;
  // What SIGTERM to cairn becomes for the container (the image's StopSignal).
  int stop_signal = 15;
  // Run in the child before exec (e.g. entering a mount namespace); a failure
  // is printed as "cairn: error: …" and the child exits 125, as podman's does.
  std::function<Result<void>()> prepare_child;
};

// Runs COMMAND to its end and returns its exit status as a shell shows it:
// the exit code, or 128 + N if signal N killed it. With Terminal::pty the
// child gets a new session whose controlling terminal is a fresh pty, and
// cairn copies between that pty and its own stdin/stdout (stdin put in raw
// mode while it runs, when it is a terminal).
Result<int> run_in_foreground(const RuntimeCommand& command);

}  // namespace cairn::cli
