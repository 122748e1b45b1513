// Byte streams. A Reader yields bytes until it returns 0 (end of stream).
// Readers are single-pass and not thread-safe; pipelines are built by
// wrapping one Reader in another (hashing, decompressing, counting).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "util/error.h"
#include "util/unique_fd.h"

namespace cairn {

class Reader {
 public:
  virtual ~Reader() = default;
  // Reads up to buf.size() bytes (at least 1 unless at end of stream).
  virtual Result<size_t> read(std::span<std::byte> buf) = 0;
};

// Reads the whole stream into a string, failing above max_size.
Result<std::string> read_all(Reader& reader, size_t max_size);
// Reads and discards the rest of the stream; returns the bytes skipped.
Result<std::uint64_t> drain(Reader& reader);

// Reads a file descriptor sequentially from its current position.
class FdReader final : public Reader {
 public:
  FdReader(UniqueFd fd, std::string name) : m_fd(std::move(fd)), m_name(std::move(name)) {}
  Result<size_t> read(std::span<std::byte> buf) override;

 private:
  UniqueFd m_fd;
  std::string m_name;
};

// Reads [offset, offset+length) of a shared file with pread; many range
// readers may share one descriptor. A file shorter than the range is an
// error (Errc::bad_input, "truncated").
class FileRangeReader final : public Reader {
 public:
  FileRangeReader(std::shared_ptr<UniqueFd> fd, std::string name, std::uint64_t offset,
                  std::uint64_t length)
      : m_fd(std::move(fd)), m_name(std::move(name)), m_offset(offset), m_remaining(length) {}
  Result<size_t> read(std::span<std::byte> buf) override;

 private:
  std::shared_ptr<UniqueFd> m_fd;
  std::string m_name;
  std::uint64_t m_offset;
  std::uint64_t m_remaining;
};

// The concatenation of parts opened one at a time: next_part() gives the
// next Reader, or nullptr after the last. One part is open at a time, and a
// part's bytes go straight into the caller's buffer.
class PartsReader : public Reader {
 public:
  Result<size_t> read(std::span<std::byte> buf) override;

 protected:
  virtual Result<std::unique_ptr<Reader>> next_part() = 0;

 private:
  std::unique_ptr<Reader> m_part;
  bool m_done = false;
};

// Reads from memory the reader does not own.
class MemoryReader final : public Reader {
 public:
  explicit MemoryReader(std::span<const std::byte> data) : m_data(data) {}
  explicit MemoryReader(std::string_view data) : m_data(std::as_bytes(std::span(data))) {}
  Result<size_t> read(std::span<std::byte> buf) override;

 private:
  std::span<const std::byte> m_data;
};

// Reads a string it owns.
class StringReader final : public Reader {
 public:
  explicit StringReader(std::string data) : m_data(std::move(data)) {}
  Result<size_t> read(std::span<std::byte> buf) override;

 private:
  std::string m_data;
  size_t m_offset = 0;
};

}  // namespace cairn
