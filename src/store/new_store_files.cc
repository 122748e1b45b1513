#include "store/new_store_files.h"

#include <unistd.h>

#include <utility>

#include "util/sys.h"

namespace cairn {

NewStoreFiles::NewStoreFiles(NewStoreFiles&& other) noexcept
    : m_root(std::move(other.m_root)),
      m_root_created(other.m_root_created),
      m_keep(std::exchange(other.m_keep, true)) {}

NewStoreFiles::~NewStoreFiles() {
  if (m_keep) return;
  for (const char* file :
       {"cairn.db", "cairn.db-wal", "cairn.db-shm", "cairn.db-journal", "lock"}) {
    ::unlink((m_root + "/" + file).c_str());
  }
  (void)sys::remove_tree(m_root + "/tmp");
  (void)sys::remove_tree(m_root + "/tar-split");
  (void)sys::remove_tree(m_root + "/blobs");
  if (m_root_created) ::rmdir(m_root.c_str());
}

}  // namespace cairn
