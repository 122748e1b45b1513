// A directory tree that layer content may change but never leave.
//
// Every lookup starts at the root's descriptor and goes through openat2(2)
// with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS: relative symlinks inside the
// tree are followed, but a path that would leave the root (a ".." too many,
// an absolute symlink) fails with Errc::unsafe_path instead of being
// confined the way RESOLVE_IN_ROOT (and umoci) would. A layer whose entries
// reach through such a symlink is refused; see doc/layer-semantics.md.
// Whiteouts may ask for RESOLVE_IN_ROOT instead (Escape::confine).
// Callers then act on the final component with *at() calls relative to the
// directory they got, never following a symlink in that component.
//
// Directories are identified by their "real" path: the symlink-free path
// relative to the root that the kernel resolved them to ("" = the root).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/error.h"
#include "util/unique_fd.h"

namespace cairn {

class SafeRoot {
 public:
  // Opens DIR as the root. Fails with Errc::unsupported when the kernel has
  // no openat2(2) (Linux < 5.6).
  static Result<SafeRoot> open(const std::string& dir);

  // An O_PATH descriptor of a directory inside the root and its real path.
  struct Dir {
    UniqueFd fd;
    std::string real;
  };

  // What a symlink that leaves the root means on the way to a directory:
  // refuse (Errc::unsafe_path), or confine it to the root as if the root
  // were "/" (RESOLVE_IN_ROOT, umoci's behaviour; used for whiteouts, which
  // can only remove, so that umoci's own layer encodings apply unchanged).
  enum class Escape { refuse, confine };

  // The directory at canonical path REL ("" = the root).
  // ENOENT/ENOTDIR/ELOOP come back as errno errors.
  Result<Dir> open_dir(const std::string& rel, Escape escape = Escape::refuse) const;
  // Like open_dir, but missing directories along REL are created with mode
  // 0755 (owned by the caller), like umoci's MkdirAll of an entry's parent.
  Result<Dir> make_dir(const std::string& rel) const;

  int fd() const { return m_fd.get(); }
  const std::string& path() const { return m_path; }

 private:
  SafeRoot(UniqueFd fd, std::string path, std::string real)
      : m_fd(std::move(fd)), m_path(std::move(path)), m_real(std::move(real)) {}
  Result<std::string> real_path_of(int fd, const std::string& rel) const;
  // false: NAME exists but is no directory we could open (a dangling symlink).
  Result<bool> make_one_dir(const Dir& parent, const std::string& name) const;
  // The path that replaces the dangling symlink DIR/NAME followed by REST.
  Result<std::string> redirect(const Dir& dir, const std::string& name,
                               const std::string& rest) const;

  UniqueFd m_fd;
  std::string m_path;  // as given, for error messages
  std::string m_real;  // absolute real path of the root
};

// openat2(2) with O_CLOEXEC added; EINTR and EAGAIN are retried.
Result<UniqueFd> openat2_fd(int dir_fd, const std::string& path, int flags,
                            std::uint64_t resolve);

// "/proc/self/fd/FD/NAME": how *xattr(2) calls reach NAME in a directory
// descriptor without a path walk; NAME must be a single component.
std::string proc_fd_path(int dir_fd, const std::string& name);

// The names in a directory, without "." and "..".
Result<std::vector<std::string>> list_dir(int dir_fd, const std::string& what);

// Removes NAME in DIR_FD and, for a directory, everything below it, never
// following symlinks. A missing NAME is fine.
Result<void> remove_entry_at(int dir_fd, const std::string& name);

}  // namespace cairn
