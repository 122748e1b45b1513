#include "cli/container_process.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <optional>

namespace cairn::cli {
namespace {

volatile std::sig_atomic_t g_child = 0;
volatile std::sig_atomic_t g_stop_signal = SIGTERM;

// Async-signal-safe: kill(2) only.
void forward(int signal_number) {
  if (g_child > 0) ::kill(g_child, signal_number == SIGTERM ? g_stop_signal : signal_number);
}

constexpr int k_forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

void install_forwarding() {
  struct sigaction action {};
  action.sa_handler = forward;
  action.sa_flags = SA_RESTART;
  ::sigemptyset(&action.sa_mask);
  for (int sig : k_forwarded) ::sigaction(sig, &action, nullptr);
}

// Restores the terminal's mode on destruction.
class RawMode {
 public:
  explicit RawMode(int fd) : m_fd(fd) {
    if (!::isatty(fd) || ::tcgetattr(fd, &m_saved) != 0) return;
    termios raw = m_saved;
    ::cfmakeraw(&raw);
    if (::tcsetattr(fd, TCSANOW, &raw) == 0) m_active = true;
  }
  RawMode(const RawMode&) = delete;
  RawMode& operator=(const RawMode&) = delete;
  ~RawMode() {
    if (m_active) ::tcsetattr(m_fd, TCSANOW, &m_saved);
  }

 private:
  int m_fd;
  termios m_saved{};
  bool m_active = false;
};

bool copy_once(int from, int to) {
  char buf[8192];
  ssize_t n = ::read(from, buf, sizeof buf);
  if (n <= 0) return false;
  for (ssize_t done = 0; done < n;) {
    ssize_t w = ::write(to, buf + done, static_cast<size_t>(n - done));
    if (w <= 0) return false;
    done += w;
  }
  return true;
}

// Copies stdin -> MASTER and MASTER -> stdout until the pty's other side closes.
void relay(int master) {
  bool stdin_open = true;
  for (;;) {
    pollfd fds[2] = {{master, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    int n = ::poll(fds, stdin_open ? 2 : 1, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (!copy_once(master, STDOUT_FILENO)) return;
    }
    if (stdin_open && (fds[1].revents & (POLLIN | POLLHUP))) {
      stdin_open = copy_once(STDIN_FILENO, master);
    }
  }
}

constexpr int k_exit_prepare_failed = 125;

[[noreturn]] void exec_child(const RuntimeCommand& command, int slave) {
  if (command.prepare_child) {
    if (auto prepared = command.prepare_child(); !prepared) {
      std::fprintf(stderr, "cairn: error: %s\n", prepared.error().message().c_str());
      std::fflush(stderr);
      ::_exit(k_exit_prepare_failed);
    }
  }
  if (slave >= 0) {
    ::setsid();
    ::ioctl(slave, TIOCSCTTY, 0);
    for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) ::dup2(slave, fd);
    if (slave > STDERR_FILENO) ::close(slave);
  }
  std::vector<char*> argv;
  for (const std::string& arg : command.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());
  ::_exit(127);
}

int shell_status(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

Result<int> run_in_foreground(const RuntimeCommand& command) {
  int master = -1;
  int slave = -1;
  if (command.terminal == Terminal::pty) {
    winsize size{};
    bool sized = ::ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0;
    if (::openpty(&master, &slave, nullptr, nullptr, sized ? &size : nullptr) != 0) {
      return fail_errno(errno, "openpty");
    }
    ::fcntl(master, F_SETFD, FD_CLOEXEC);
  }
  g_stop_signal = command.stop_signal;
  install_forwarding();
  pid_t pid = ::fork();
  if (pid < 0) return fail_errno(errno, "fork " + command.argv[0]);
  if (pid == 0) exec_child(command, slave);
  g_child = pid;
  if (slave >= 0) {
    ::close(slave);
    RawMode raw(STDIN_FILENO);
    relay(master);
    ::close(master);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return fail_errno(errno, "waitpid " + command.argv[0]);
  }
  g_child = 0;
  return shell_status(status);
}

}  // namespace cairn::cli
