#include "util/sys.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <vector>

namespace cairn::sys {
namespace {

std::string describe(std::string_view call, std::string_view what) {
  std::string s(call);
  s += ' ';
  s += what;
  return s;
}

}  // namespace

Result<UniqueFd> open(const std::string& path, int flags, mode_t mode) {
  return open_at(AT_FDCWD, path, flags, mode);
}

Result<UniqueFd> open_at(int dir_fd, const std::string& path, int flags, mode_t mode) {
  for (;;) {
    int fd = ::openat(dir_fd, path.c_str(), flags | O_CLOEXEC, mode);
    if (fd >= 0) return UniqueFd(fd);
    if (errno != EINTR) return fail_errno(errno, describe("open", path));
  }
}

Result<size_t> read_some(int fd, std::span<std::byte> buf, std::string_view what) {
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return fail_errno(errno, describe("read", what));
  }
}

Result<size_t> read_full(int fd, std::span<std::byte> buf, std::string_view what) {
  size_t done = 0;
  while (done < buf.size()) {
    ASSIGN_OR_RETURN(size_t n, read_some(fd, buf.subspan(done), what));
    if (n == 0) break;
    done += n;
  }
  return done;
}

Result<size_t> pread_full(int fd, std::span<std::byte> buf, off_t offset, std::string_view what) {
  size_t done = 0;
  while (done < buf.size()) {
    ssize_t n =
        ::pread(fd, buf.data() + done, buf.size() - done, offset + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(errno, describe("pread", what));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

Result<void> write_all(int fd, std::span<const std::byte> buf, std::string_view what) {
  while (!buf.empty()) {
    ssize_t n = ::write(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(errno, describe("write", what));
    }
    buf = buf.subspan(static_cast<size_t>(n));
  }
  return {};
}

Result<void> pwrite_all(int fd, std::span<const std::byte> buf, off_t offset,
                        std::string_view what) {
  while (!buf.empty()) {
    ssize_t n = ::pwrite(fd, buf.data(), buf.size(), offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(errno, describe("pwrite", what));
    }
    buf = buf.subspan(static_cast<size_t>(n));
    offset += n;
  }
  return {};
}

Result<struct stat> stat(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fail_errno(errno, describe("stat", path));
  return st;
}

Result<struct stat> lstat(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return fail_errno(errno, describe("lstat", path));
  return st;
}

Result<struct stat> fstat(int fd, std::string_view what) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail_errno(errno, describe("fstat", what));
  return st;
}

Result<bool> exists(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  return fail_errno(errno, describe("lstat", path));
}

Result<std::string> read_file(const std::string& path, size_t max_size) {
  ASSIGN_OR_RETURN(UniqueFd fd, open(path, O_RDONLY));
  std::string data;
  std::byte buf[65536];
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, read_some(fd.get(), buf, path));
    if (n == 0) break;
    if (data.size() + n > max_size) {
      return fail(Errc::bad_input, path + " is larger than " + std::to_string(max_size) + " bytes");
    }
    data.append(reinterpret_cast<const char*>(buf), n);
  }
  return data;
}

Result<void> write_file_atomic(const std::string& path, std::string_view data, mode_t mode) {
  std::string tmp =
      path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(std::random_device{}());
  {
    ASSIGN_OR_RETURN(UniqueFd fd, open(tmp, O_WRONLY | O_CREAT | O_EXCL, mode));
    auto written = write_all(fd.get(), std::as_bytes(std::span(data)), tmp);
    if (written) written = fsync(fd.get(), tmp);
    if (!written) {
      ::unlink(tmp.c_str());
      return fail(std::move(written).error());
    }
  }
  if (auto renamed = rename(tmp, path); !renamed) {
    ::unlink(tmp.c_str());
    return renamed;
  }
  return fsync_path(dirname(path));
}

Result<std::vector<std::string>> list_directory(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return fail_errno(errno, "opendir " + path);
  while (dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(dir);
  return names;
}

Result<void> make_dirs(const std::string& path, mode_t mode) {
  if (path.empty()) return {};
  if (::mkdir(path.c_str(), mode) == 0) return {};
  if (errno == EEXIST) {
    ASSIGN_OR_RETURN(struct stat st, stat(path));
    if (S_ISDIR(st.st_mode)) return {};
    return fail_errno(ENOTDIR, describe("mkdir", path));
  }
  if (errno != ENOENT) return fail_errno(errno, describe("mkdir", path));
  std::string parent = dirname(path);
  if (parent == path) return fail_errno(ENOENT, describe("mkdir", path));
  TRY(make_dirs(parent, mode));
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return fail_errno(errno, describe("mkdir", path));
  }
  return {};
}

namespace {

// One directory of a tree being removed: its name in its parent and the
// subdirectories still to remove (its other entries are gone already).
struct RemovalLevel {
  std::string name;
  std::vector<std::string> subdirs;
};

// Unlinks every entry of DIR_FD but its subdirectories, which it returns.
// A subdirectory on another filesystem (a mount point) is an error: the
// removal never leaves the tree's filesystem.
Result<std::vector<std::string>> unlink_files(int dir_fd, dev_t dev, const std::string& what) {
  int scan_fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (scan_fd < 0) return fail_errno(errno, describe("dup", what));
  DIR* dir = ::fdopendir(scan_fd);
  if (dir == nullptr) {
    int err = errno;
    ::close(scan_fd);
    return fail_errno(err, describe("opendir", what));
  }
  std::vector<std::string> subdirs;
  Result<std::vector<std::string>> result = fail(Errc::usage, "unreachable");
  for (;;) {
    errno = 0;
    struct dirent* entry = ::readdir(dir);
    if (entry == nullptr) {
      result = errno == 0 ? Result<std::vector<std::string>>(std::move(subdirs))
                          : fail_errno(errno, describe("readdir", what));
      break;
    }
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::fstatat(dir_fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      result = fail_errno(errno, describe("stat", what + "/" + std::string(name)));
      break;
    }
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != dev) {
        result = fail_errno(
            EBUSY, describe("remove", what + "/" + std::string(name)) + " (a mount point)");
        break;
      }
      subdirs.emplace_back(name);
    } else if (::unlinkat(dir_fd, entry->d_name, 0) != 0 && errno != ENOENT) {
      result = fail_errno(errno, describe("unlink", what + "/" + std::string(name)));
      break;
    }
  }
  ::closedir(dir);
  return result;
}

}  // namespace

// Walks down with openat and back up with "..", holding one directory open at
// a time, so that a tree deeper than PATH_MAX (or than the fd limit) goes too.
Result<void> remove_tree(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return fail_errno(errno, describe("stat", path));
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return fail_errno(errno, describe("unlink", path));
    }
    return {};
  }
  ASSIGN_OR_RETURN(UniqueFd fd, open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  std::vector<RemovalLevel> levels;
  ASSIGN_OR_RETURN(auto top, unlink_files(fd.get(), st.st_dev, path));
  levels.push_back({"", std::move(top)});
  while (true) {
    RemovalLevel& level = levels.back();
    if (!level.subdirs.empty()) {
      std::string name = std::move(level.subdirs.back());
      level.subdirs.pop_back();
      int child = ::openat(fd.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (child < 0) return fail_errno(errno, describe("open", path + "/…/" + name));
      fd = UniqueFd(child);
      ASSIGN_OR_RETURN(auto subdirs, unlink_files(fd.get(), st.st_dev, path + "/…/" + name));
      levels.push_back({std::move(name), std::move(subdirs)});
      continue;
    }
    if (levels.size() == 1) break;
    int parent = ::openat(fd.get(), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (parent < 0) return fail_errno(errno, describe("open", path + "/…/.."));
    fd = UniqueFd(parent);
    if (::unlinkat(fd.get(), level.name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
      return fail_errno(errno, describe("rmdir", path + "/…/" + level.name));
    }
    levels.pop_back();
  }
  fd.reset();
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT)
    return fail_errno(errno, describe("rmdir", path));
  return {};
}

Result<void> rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return fail_errno(errno, "rename " + from + " to " + to);
  }
  return {};
}

Result<void> fsync(int fd, std::string_view what) {
  if (::fsync(fd) != 0) return fail_errno(errno, describe("fsync", what));
  return {};
}

Result<void> fsync_path(const std::string& path) {
  ASSIGN_OR_RETURN(UniqueFd fd, open(path, O_RDONLY));
  return fsync(fd.get(), path);
}

Result<void> syncfs_path(const std::string& path) {
  ASSIGN_OR_RETURN(UniqueFd fd, open(path, O_RDONLY | O_DIRECTORY));
  if (::syncfs(fd.get()) != 0) return fail_errno(errno, describe("syncfs", path));
  return {};
}

std::string dirname(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string basename(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string join(std::string_view a, std::string_view b) {
  std::string s(a);
  if (!s.empty() && s.back() != '/') s += '/';
  s += b;
  return s;
}

}  // namespace cairn::sys
