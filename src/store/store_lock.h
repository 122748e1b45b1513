// An advisory lock on a store (flock(2) on ROOT/lock). Mutating commands hold
// it exclusively for their whole run, so two cairn processes never build into
// the same store at once; read-only commands do not take it (each SQLite
// read transaction sees one committed state). The kernel drops the lock when the
// process dies, so a killed cairn never leaves a stale lock behind.
#pragma once

#include <string>

#include "util/error.h"
#include "util/unique_fd.h"

namespace cairn {

enum class LockMode { shared, exclusive };

class StoreLock {
 public:
  // Blocks until the lock is granted.
  static Result<StoreLock> acquire(const std::string& path, LockMode mode);

 private:
  explicit StoreLock(UniqueFd fd) : m_fd(std::move(fd)) {}
  UniqueFd m_fd;
};

}  // namespace cairn
