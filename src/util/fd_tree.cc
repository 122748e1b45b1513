#include "util/fd_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace cairn {
namespace {

constexpr int k_max_eagain = 16;

}  // namespace

Result<std::vector<std::string>> list_dir(int dir_fd, const std::string& what) {
  int dup_fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup_fd < 0) return fail_errno(errno, "open " + what);
  DIR* dir = ::fdopendir(dup_fd);
  if (dir == nullptr) {
    int err = errno;
    ::close(dup_fd);
    return fail_errno(err, "fdopendir " + what);
  }
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* ent = ::readdir(dir)) {
    std::string_view n = ent->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  int err = errno;
  ::closedir(dir);
  if (err != 0) return fail_errno(err, "readdir " + what);
  return names;
}

namespace {

Result<void> remove_children(int dir_fd, const std::string& what) {
  ASSIGN_OR_RETURN(std::vector<std::string> names, list_dir(dir_fd, what));
  for (const std::string& n : names) TRY(remove_entry_at(dir_fd, n));
  return {};
}

}  // namespace

Result<UniqueFd> openat2_fd(int dir_fd, const std::string& path, int flags, std::uint64_t resolve) {
  open_how how{};
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
  how.resolve = resolve;
  const char* p = path.empty() ? "." : path.c_str();
  for (int attempt = 0;; ++attempt) {
    long fd = ::syscall(SYS_openat2, dir_fd, p, &how, sizeof how);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if (errno == EINTR || (errno == EAGAIN && attempt < k_max_eagain)) continue;
    return fail_errno(errno, "openat2 " + std::string(p));
  }
}

std::string proc_fd_path(int dir_fd, const std::string& name) {
  return "/proc/self/fd/" + std::to_string(dir_fd) + "/" + name;
}

Result<void> remove_entry_at(int dir_fd, const std::string& name) {
  if (::unlinkat(dir_fd, name.c_str(), 0) == 0 || errno == ENOENT) return {};
  if (errno != EISDIR) return fail_errno(errno, "unlink " + name);
  int child = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (child < 0) return fail_errno(errno, "open " + name);
  UniqueFd child_fd(child);
  TRY(remove_children(child_fd.get(), name));
  if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return fail_errno(errno, "rmdir " + name);
  }
  return {};
}

}  // namespace cairn
