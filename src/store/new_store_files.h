// The files Store::open writes when it creates a store: removed again when
// the store is abandoned before it held anything, so that a failed or
// read-only first command leaves no store behind (doc/store-format.md).
#pragma once

#include <string>

namespace cairn {

class NewStoreFiles {
 public:
  // ROOT_CREATED: ROOT itself did not exist before.
  NewStoreFiles(std::string root, bool root_created)
      : m_root(std::move(root)), m_root_created(root_created) {}
  NewStoreFiles(NewStoreFiles&& other) noexcept;
  NewStoreFiles(const NewStoreFiles&) = delete;
  NewStoreFiles& operator=(const NewStoreFiles&) = delete;
  NewStoreFiles& operator=(NewStoreFiles&&) = delete;
  // Unless kept: removes the database (with its WAL and journal files), the
  // lock and tmp/, then ROOT if it was created and is empty. Best effort: a
  // destructor has no one to report to, and what stays is an empty store.
  ~NewStoreFiles();

  void keep() { m_keep = true; }

 private:
  std::string m_root;
  bool m_root_created;
  bool m_keep = false;
};

}  // namespace cairn
