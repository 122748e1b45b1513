#include "layer/hashing_reader.h"

namespace cairn {

Result<size_t> HashingReader::read(std::span<std::byte> buf) {
  if (m_at_end) return 0;
  ASSIGN_OR_RETURN(size_t n, m_inner->read(buf));
  if (n == 0 && !buf.empty()) {
    m_at_end = true;
    return 0;
  }
  m_sha.update(buf.first(n));
  m_bytes += n;
  return n;
}

Digest HashingReader::digest() {
  CHECK_MSG(m_at_end, "HashingReader::digest before the end of the stream");
  if (!m_digest) m_digest = Digest::from_sum(m_sha.finish());
  return *m_digest;
}

}  // namespace cairn
