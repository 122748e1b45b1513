#include "store/store_lock.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

#include "util/sys.h"

namespace cairn {

Result<StoreLock> StoreLock::acquire(const std::string& path, LockMode mode) {
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open(path, O_RDWR | O_CREAT, 0600));
  int op = mode == LockMode::exclusive ? LOCK_EX : LOCK_SH;
  while (::flock(fd.get(), op) != 0) {
    if (errno != EINTR) return fail_errno(errno, "flock " + path);
  }
  return StoreLock(std::move(fd));
}

}  // namespace cairn
