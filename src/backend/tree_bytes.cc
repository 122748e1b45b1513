#include "backend/tree_bytes.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <set>
#include <utility>
#include <vector>

#include "util/sys.h"

namespace cairn {
namespace {

struct Walk {
  std::set<std::pair<dev_t, ino_t>> seen;
  std::uint64_t bytes = 0;
};

Result<void> walk_dir(int dir_fd, const std::string& path, Walk& walk) {
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open_at(dir_fd, ".", O_RDONLY | O_DIRECTORY));
  DIR* dir = ::fdopendir(fd.get());
  if (dir == nullptr) return fail_errno(errno, "opendir " + path);
  (void)fd.release();
  std::vector<std::string> subdirs;
  while (dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::fstatat(::dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      int err = errno;
      ::closedir(dir);
      return fail_errno(err, "stat " + path + "/" + std::string(name));
    }
    if (S_ISDIR(st.st_mode)) {
      subdirs.emplace_back(name);
    } else if ((S_ISREG(st.st_mode) && walk.seen.insert({st.st_dev, st.st_ino}).second) ||
               S_ISLNK(st.st_mode)) {
      walk.bytes += static_cast<std::uint64_t>(st.st_size);
    }
  }
  int fd_of_dir = ::dirfd(dir);
  for (const std::string& name : subdirs) {
    auto sub = sys::open_at(fd_of_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    auto walked = sub ? walk_dir(sub->get(), path + "/" + name, walk)
                      : Result<void>(std::unexpected(sub.error()));
    if (!walked) {
      ::closedir(dir);
      return walked;
    }
  }
  ::closedir(dir);
  return {};
}

}  // namespace

Result<std::uint64_t> tree_bytes(const std::string& root) {
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open(root, O_RDONLY | O_DIRECTORY));
  Walk walk;
  TRY(walk_dir(fd.get(), root, walk));
  return walk.bytes;
}

}  // namespace cairn
