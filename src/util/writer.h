// Byte sinks, the other direction of util/reader.h. A Writer takes bytes in
// order; finish() ends the stream (what it means depends on the writer).
// Not thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "util/error.h"
#include "util/unique_fd.h"

namespace cairn {

class Writer {
 public:
  virtual ~Writer() = default;
  virtual Result<void> write(std::span<const std::byte> bytes) = 0;
  Result<void> write(std::string_view text) { return write(std::as_bytes(std::span(text))); }
  virtual Result<void> finish() = 0;
};

// A new file PATH (O_EXCL, mode 0600), written sequentially; finish() fsyncs
// it. The file stays whatever happens: its owner removes it or renames it.
class FileWriter final : public Writer {
 public:
  static Result<FileWriter> create(const std::string& path);
  using Writer::write;
  Result<void> write(std::span<const std::byte> bytes) override;
  Result<void> finish() override;
  const std::string& path() const { return m_path; }

 private:
  FileWriter(UniqueFd fd, std::string path) : m_fd(std::move(fd)), m_path(std::move(path)) {}
  UniqueFd m_fd;
  std::string m_path;
};

}  // namespace cairn
