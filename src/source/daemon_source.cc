#include "source/daemon_source.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

#include "util/sys.h"

extern char** environ;

namespace cairn {
namespace {

constexpr size_t k_max_stderr = 4096;
// The stream pipe's size (F_SETPIPE_SZ; 1 MiB is the default limit for
// unprivileged processes). With the default 64 KiB the writer and cairn take
// turns every few KiB; a larger pipe lets them run side by side.
constexpr int k_pipe_size = 1 << 20;

// The `save` child process; its stdout is the stream.
class SaveProcess final : public ImageStream {
 public:
  SaveProcess(std::string uri, pid_t pid, UniqueFd out, UniqueFd err)
      : m_uri(std::move(uri)), m_pid(pid), m_reader(std::move(out), m_uri), m_err(std::move(err)) {}
  ~SaveProcess() override {
    if (m_pid > 0) {
      ::kill(m_pid, SIGKILL);
      (void)reap();  // its status says only that it was killed
    }
  }

  Reader& reader() override { return m_reader; }

  Result<void> close(StreamEnd end) override {
    m_reader = FdReader(UniqueFd(), m_uri);  // closes the pipe: a writer still at work gets EPIPE
    ASSIGN_OR_RETURN(int status, reap());
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
    if (end == StreamEnd::early && WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE) return {};
    std::string what = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                         : "signal " + std::to_string(WTERMSIG(status));
    std::string err = stderr_text();
    std::string context = m_uri + ": save failed (" + what + "): " + err;
    if (says_not_found(err)) return fail(Errc::not_found, context);
    return fail_errno(EIO, context);
  }

 private:
  Result<int> reap() {
    int status = 0;
    while (::waitpid(m_pid, &status, 0) < 0) {
      if (errno != EINTR) return fail_errno(errno, "waitpid");
    }
    m_pid = -1;
    return status;
  }

  std::string stderr_text() {
    std::string text(k_max_stderr, '\0');
    auto n = sys::pread_full(m_err.get(), std::as_writable_bytes(std::span(text)), 0, "stderr");
    text.resize(n ? *n : 0);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    for (char& c : text) c = c == '\n' ? ' ' : c;
    return text.empty() ? "(no message)" : text;
  }

  static bool says_not_found(const std::string& err) {
    for (const char* marker : {"No such image", "reference does not exist", "image not known",
                               "does not exist", "not found"}) {
      if (err.find(marker) != std::string::npos) return true;
    }
    return false;
  }

  std::string m_uri;
  pid_t m_pid;
  FdReader m_reader;
  UniqueFd m_err;
};

// The environment with NAME=VALUE in place of any NAME=... it holds.
std::vector<std::string> environment_with(const std::string& name, const std::string& value) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    if (!text.starts_with(name + "=")) env.emplace_back(text);
  }
  env.push_back(name + "=" + value);
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

Result<std::unique_ptr<ImageStream>> spawn(const std::string& uri, std::vector<std::string> argv,
                                           const std::string& scratch_dir) {
  std::vector<std::string> env = environment_with("TMPDIR", scratch_dir);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail_errno(errno, "pipe2");
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  (void)::fcntl(read_end.get(), F_SETPIPE_SZ, k_pipe_size);  // a smaller pipe still works
  UniqueFd err(::memfd_create("cairn-save-stderr", MFD_CLOEXEC));
  if (!err) return fail_errno(errno, "memfd_create");
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
  ::posix_spawn_file_actions_adddup2(&actions, err.get(), STDERR_FILENO);
  std::vector<char*> args = c_strings(argv);
  std::vector<char*> envp = c_strings(env);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  ::posix_spawn_file_actions_destroy(&actions);
  if (rc == ENOENT) {
    return fail(Errc::not_found, uri + ": " + argv[0] + " is not installed (not in PATH)");
  }
  if (rc != 0) return fail_errno(rc, uri + ": spawn " + argv[0]);
  write_end.reset();
  return std::make_unique<SaveProcess>(uri, pid, std::move(read_end), std::move(err));
}

}  // namespace

bool is_daemon_uri(std::string_view uri) {
  return uri.starts_with("dockerd://") || uri.starts_with("podman://");
}

Result<std::vector<std::string>> daemon_save_command(std::string_view uri,
                                                     const DaemonOptions& options) {
  size_t sep = uri.find("://");
  std::string_view scheme = uri.substr(0, sep);
  std::string image(sep == std::string_view::npos ? "" : uri.substr(sep + 3));
  if (!is_daemon_uri(uri) || image.empty() || image.starts_with('-')) {
    return fail(Errc::usage, "malformed daemon image reference \"" + std::string(uri) + "\"");
  }
  if (scheme == "dockerd") return std::vector<std::string>{"docker", "save", image};
  std::vector<std::string> argv{"podman"};
  if (!options.podman_root.empty()) argv.insert(argv.end(), {"--root", options.podman_root});
  if (!options.podman_runroot.empty()) {
    argv.insert(argv.end(), {"--runroot", options.podman_runroot});
  }
  argv.insert(argv.end(), {"save", image});
  return argv;
}

StreamSource command_stream_source(std::string uri, std::vector<std::string> argv) {
  StreamSource source{uri, nullptr};
  source.open = [uri = std::move(uri), argv = std::move(argv)](const std::string& scratch_dir) {
    return spawn(uri, argv, scratch_dir);
  };
  return source;
}

Result<StreamSource> daemon_stream_source(std::string_view uri, const DaemonOptions& options) {
  ASSIGN_OR_RETURN(std::vector<std::string> argv, daemon_save_command(uri, options));
  return command_stream_source(std::string(uri), std::move(argv));
}

}  // namespace cairn
