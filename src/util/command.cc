#include "util/command.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "util/unique_fd.h"

namespace cairn {
namespace {

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Result<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail_errno(errno, "pipe2");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// In the forked child: only async-signal-safe calls until exec. The child is
// killed when cairn dies (PR_SET_PDEATHSIG): a `cp` or `zfs` whose cairn was
// SIGKILLed would otherwise go on writing into the store behind the next
// command's back. PARENT is checked after the prctl, for a cairn that died
// before it.
[[noreturn]] void exec_child(char* const* argv, int out_fd, int err_fd, pid_t parent) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(126);
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) {
    ::_exit(126);
  }
  ::execvp(argv[0], argv);
  const char* reason = std::strerror(errno);
  (void)!::write(2, "exec failed: ", 13);
  (void)!::write(2, reason, std::strlen(reason));
  ::_exit(127);
}

// Reads both pipes to their end.
Result<void> drain(UniqueFd out_fd, UniqueFd err_fd, CommandOutput& output) {
  pollfd fds[2] = {{out_fd.get(), POLLIN, 0}, {err_fd.get(), POLLIN, 0}};
  std::string* sinks[2] = {&output.out, &output.err};
  int open_count = 2;
  char buf[8192];
  while (open_count > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return fail_errno(errno, "poll command output");
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail_errno(errno, "read command output");
      if (n == 0) {
        fds[i].fd = -1;
        --open_count;
      } else {
        sinks[i]->append(buf, static_cast<size_t>(n));
      }
    }
  }
  return {};
}

std::string joined(const std::vector<std::string>& argv) {
  std::string text;
  for (const std::string& arg : argv) text += (text.empty() ? "" : " ") + arg;
  return text;
}

}  // namespace

Result<CommandOutput> run_command(const std::vector<std::string>& argv) {
  if (argv.empty()) return fail(Errc::usage, "run_command: empty argv");
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  ASSIGN_OR_RETURN(Pipe out, make_pipe());
  ASSIGN_OR_RETURN(Pipe err, make_pipe());
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return fail_errno(errno, "fork for " + argv[0]);
  if (pid == 0) exec_child(args.data(), out.write.get(), err.write.get(), parent);
  out.write.reset();
  err.write.reset();
  CommandOutput output;
  auto drained = drain(std::move(out.read), std::move(err.read), output);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return fail_errno(errno, "waitpid " + argv[0]);
  }
  TRY(drained);
  output.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return output;
}

Result<std::string> run_checked(const std::vector<std::string>& argv) {
  ASSIGN_OR_RETURN(CommandOutput output, run_command(argv));
  return checked_output(argv, std::move(output));
}

Result<std::string> checked_output(const std::vector<std::string>& argv, CommandOutput output) {
  if (output.exit_status != 0) {
    std::string err = output.err;
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    if (err.empty()) err = "exit status " + std::to_string(output.exit_status);
    return fail_errno(EIO, joined(argv) + ": " + err);
  }
  return std::move(output.out);
}

}  // namespace cairn
