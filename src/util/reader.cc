#include "util/reader.h"

#include <algorithm>
#include <cstring>

#include "util/sys.h"

namespace cairn {

Result<std::string> read_all(Reader& reader, size_t max_size) {
  std::string out;
  std::byte buf[65536];
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, reader.read(buf));
    if (n == 0) return out;
    if (out.size() + n > max_size) {
      return fail(Errc::bad_input, "stream is larger than " + std::to_string(max_size) + " bytes");
    }
    out.append(reinterpret_cast<const char*>(buf), n);
  }
}

Result<std::uint64_t> drain(Reader& reader) {
  std::uint64_t total = 0;
  std::byte buf[65536];
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, reader.read(buf));
    if (n == 0) return total;
    total += n;
  }
}

Result<size_t> FdReader::read(std::span<std::byte> buf) {
  return sys::read_some(m_fd.get(), buf, m_name);
}

Result<size_t> FileRangeReader::read(std::span<std::byte> buf) {
  size_t want = static_cast<size_t>(std::min<std::uint64_t>(buf.size(), m_remaining));
  if (want == 0) return 0;
  ASSIGN_OR_RETURN(size_t n, sys::pread_full(m_fd->get(), buf.first(want),
                                             static_cast<off_t>(m_offset), m_name));
  if (n == 0) return fail(Errc::bad_input, m_name + ": truncated");
  m_offset += n;
  m_remaining -= n;
  return n;
}

Result<size_t> MemoryReader::read(std::span<std::byte> buf) {
  size_t n = std::min(buf.size(), m_data.size());
  if (n > 0) std::memcpy(buf.data(), m_data.data(), n);
  m_data = m_data.subspan(n);
  return n;
}

Result<size_t> StringReader::read(std::span<std::byte> buf) {
  size_t n = std::min(buf.size(), m_data.size() - m_offset);
  if (n > 0) std::memcpy(buf.data(), m_data.data() + m_offset, n);
  m_offset += n;
  return n;
}

Result<size_t> PartsReader::read(std::span<std::byte> buf) {
  size_t filled = 0;
  while (filled < buf.size() && !m_done) {
    if (!m_part) {
      ASSIGN_OR_RETURN(m_part, next_part());
      if (!m_part) {
        m_done = true;
        break;
      }
    }
    ASSIGN_OR_RETURN(size_t n, m_part->read(buf.subspan(filled)));
    if (n == 0) m_part.reset();
    filled += n;
  }
  return filled;
}

}  // namespace cairn
