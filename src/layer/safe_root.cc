#include "layer/safe_root.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <vector>

#include "layer/oci_path.h"

namespace cairn {
namespace {

constexpr std::uint64_t k_beneath = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
constexpr std::uint64_t k_in_root = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
constexpr int k_max_eagain = 16;
constexpr int k_max_hops = 40;

Result<std::string> read_fd_link(int fd) {
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  std::vector<char> buf(PATH_MAX + 1);
  for (;;) {
    ssize_t n = ::readlink(link.c_str(), buf.data(), buf.size());
    if (n < 0) return fail_errno(errno, "readlink " + link);
    if (static_cast<size_t>(n) < buf.size()) return std::string(buf.data(), static_cast<size_t>(n));
    buf.resize(buf.size() * 2);
  }
}

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

Result<UniqueFd> openat2_fd(int dir_fd, const std::string& path, int flags,
                            std::uint64_t resolve) {
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

Result<SafeRoot> SafeRoot::open(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail_errno(errno, "open root " + dir);
  UniqueFd root(fd);
  auto probe = openat2_fd(root.get(), ".", O_PATH | O_DIRECTORY, k_beneath);
  if (!probe) {
    if (probe.error().is_errno(ENOSYS)) {
      return fail(Errc::unsupported, "openat2 (Linux >= 5.6) is needed to apply layers");
    }
    return fail(std::move(probe).error().wrap("open root " + dir));
  }
  ASSIGN_OR_RETURN(std::string real, read_fd_link(root.get()));
  if (real == "/") real.clear();
  return SafeRoot(std::move(root), dir, std::move(real));
}

Result<std::string> SafeRoot::real_path_of(int fd, const std::string& rel) const {
  ASSIGN_OR_RETURN(std::string real, read_fd_link(fd));
  if (real == m_real) return std::string();
  if (real.size() <= m_real.size() + 1 || !real.starts_with(m_real) ||
      real[m_real.size()] != '/') {
    return fail(Errc::unsafe_path, "directory " + rel + " resolved outside " + m_path);
  }
  return real.substr(m_real.size() + 1);
}

Result<SafeRoot::Dir> SafeRoot::open_dir(const std::string& rel, Escape escape) const {
  constexpr int k_flags = O_PATH | O_DIRECTORY;
  auto plain = openat2_fd(m_fd.get(), rel, k_flags, k_beneath | RESOLVE_NO_SYMLINKS);
  if (plain) return Dir{std::move(*plain), rel};
  if (!plain.error().is_errno(ELOOP)) return fail(std::move(plain).error());
  std::uint64_t resolve = escape == Escape::confine ? k_in_root : k_beneath;
  auto resolved = openat2_fd(m_fd.get(), rel, k_flags, resolve);
  if (!resolved && resolved.error().is_errno(EXDEV)) {
    return fail(Errc::unsafe_path, "/" + rel + " goes through a symlink that leaves the root");
  }
  if (!resolved) return fail(std::move(resolved).error());
  UniqueFd fd = std::move(*resolved);
  ASSIGN_OR_RETURN(std::string real, real_path_of(fd.get(), rel));
  return Dir{std::move(fd), std::move(real)};
}

Result<bool> SafeRoot::make_one_dir(const Dir& parent, const std::string& name) const {
  if (::mkdirat(parent.fd.get(), name.c_str(), 0755) != 0) {
    if (errno == EEXIST) return false;
    return fail_errno(errno, "mkdir " + name + " in " + m_path + "/" + parent.real);
  }
  struct stat st {};
  if (::fstatat(parent.fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return fail_errno(errno, "stat " + name);
  }
  if ((st.st_mode & 0777) == 0755) return true;
  mode_t mode = (st.st_mode & 07000) | 0755;
  if (::fchmodat(parent.fd.get(), name.c_str(), mode, 0) != 0) {
    return fail_errno(errno, "chmod " + name);
  }
  return true;
}

// Walks REL one component at a time from the root, creating what is
// missing. A dangling symlink on the way is resolved like securejoin does in
// umoci: its target (taken inside the root) replaces the walked prefix and
// the walk restarts, at most k_max_hops times.
Result<SafeRoot::Dir> SafeRoot::make_dir(const std::string& rel) const {
  auto direct = open_dir(rel);
  if (direct || !direct.error().is_errno(ENOENT)) return direct;
  std::string pending = rel;
  for (int hop = 0; hop <= k_max_hops; ++hop) {
    ASSIGN_OR_RETURN(Dir current, open_dir(""));
    size_t pos = 0;
    bool restarted = false;
    while (pos < pending.size() && !restarted) {
      size_t end = std::min(pending.find('/', pos), pending.size());
      std::string name = pending.substr(pos, end - pos);
      std::string next_rel = current.real.empty() ? name : current.real + "/" + name;
      auto next = open_dir(next_rel);
      if (!next && next.error().is_errno(ENOENT)) {
        ASSIGN_OR_RETURN(bool made, make_one_dir(current, name));
        if (made) {
          next = open_dir(next_rel);
        } else {
          ASSIGN_OR_RETURN(pending, redirect(current, name, pending.substr(end)));
          restarted = true;
          continue;
        }
      }
      if (!next) return fail(std::move(next).error().wrap("create parents of " + rel));
      current = std::move(*next);
      pos = end + 1;
    }
    if (!restarted) return current;
  }
  return fail_errno(ELOOP, "create parents of " + rel);
}

Result<std::string> SafeRoot::redirect(const Dir& dir, const std::string& name,
                                       const std::string& rest) const {
  std::vector<char> buf(PATH_MAX + 1);
  ssize_t n = ::readlinkat(dir.fd.get(), name.c_str(), buf.data(), buf.size());
  if (n < 0) return fail_errno(errno == EINVAL ? EEXIST : errno, "mkdir " + name);
  std::string target(buf.data(), static_cast<size_t>(n));
  std::string link = dir.real.empty() ? name : dir.real + "/" + name;
  if (target.starts_with('/')) {
    return fail(Errc::unsafe_path, "/" + link + " is an absolute symlink: refusing to follow it");
  }
  auto next = normalize_layer_path(dir.real + "/" + target + rest);
  if (!next) return fail(std::move(next).error().wrap("/" + link + " -> " + target));
  return next;
}

}  // namespace cairn
