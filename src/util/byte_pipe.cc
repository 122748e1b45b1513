#include "util/byte_pipe.h"

#include <algorithm>
#include <cstring>

namespace cairn {

BytePipe::BytePipe(size_t capacity) : m_ring(std::max<size_t>(capacity, 1)) {}

bool BytePipe::write(std::span<const std::byte> data) {
  std::unique_lock lock(m_mutex);
  while (!data.empty()) {
    m_writable.wait(lock, [&] { return m_cancelled || m_size < m_ring.size(); });
    if (m_cancelled) return false;
    size_t tail = (m_head + m_size) % m_ring.size();
    size_t n = std::min({data.size(), m_ring.size() - m_size, m_ring.size() - tail});
    std::memcpy(m_ring.data() + tail, data.data(), n);
    m_size += n;
    data = data.subspan(n);
    m_readable.notify_one();
  }
  return !m_cancelled;
}

void BytePipe::close(Result<void> status) {
  std::lock_guard lock(m_mutex);
  if (!m_end) m_end = std::move(status);
  m_readable.notify_all();
}

Result<size_t> BytePipe::read(std::span<std::byte> buf) {
  if (buf.empty()) return 0;
  std::unique_lock lock(m_mutex);
  m_readable.wait(lock, [&] { return m_size > 0 || m_end.has_value(); });
  if (m_size == 0) {
    if (!*m_end) return fail(Error(m_end->error()));
    return 0;
  }
  size_t n = std::min({buf.size(), m_size, m_ring.size() - m_head});
  std::memcpy(buf.data(), m_ring.data() + m_head, n);
  m_head = (m_head + n) % m_ring.size();
  m_size -= n;
  m_writable.notify_one();
  return n;
}

void BytePipe::cancel() {
  std::lock_guard lock(m_mutex);
  m_cancelled = true;
  m_writable.notify_all();
}

bool BytePipe::cancelled() const {
  std::lock_guard lock(m_mutex);
  return m_cancelled;
}

}  // namespace cairn
