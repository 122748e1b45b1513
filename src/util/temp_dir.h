// A directory created with mkdtemp and removed recursively on destruction.
#pragma once

#include <string>

#include "util/error.h"

namespace cairn {

class TempDir {
 public:
  // Creates PARENT/PREFIXXXXXXX.
  static Result<TempDir> create(const std::string& parent, const std::string& prefix);
  TempDir(TempDir&& other) noexcept : m_path(std::move(other.m_path)) { other.m_path.clear(); }
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return m_path; }
  // Keeps the directory: the destructor will not remove it.
  std::string release();

 private:
  explicit TempDir(std::string path) : m_path(std::move(path)) {}
  std::string m_path;
};

}  // namespace cairn
