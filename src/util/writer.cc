#include "util/writer.h"

#include <fcntl.h>

#include "util/sys.h"

namespace cairn {

Result<FileWriter> FileWriter::create(const std::string& path) {
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open(path, O_WRONLY | O_CREAT | O_EXCL, 0600));
  return FileWriter(std::move(fd), path);
}

Result<void> FileWriter::write(std::span<const std::byte> bytes) {
  return sys::write_all(m_fd.get(), bytes, m_path);
}

Result<void> FileWriter::finish() {
  return sys::fsync(m_fd.get(), m_path);
}

}  // namespace cairn
