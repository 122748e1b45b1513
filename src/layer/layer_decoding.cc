#include "layer/layer_decoding.h"

namespace cairn {

Result<size_t> HeadRecorder::read(std::span<std::byte> buf) {
  ASSIGN_OR_RETURN(size_t n, m_inner.read(buf));
  for (size_t i = 0; i < n && m_size < m_head.size(); ++i) m_head[m_size++] = buf[i];
  return n;
}

Result<void> LayerDecoding::open(Compression declared) {
  if (declared == Compression::none) {
    ASSIGN_OR_RETURN(m_decompressed, make_detecting_decompressor(m_blob));
    declared = detect_compression(m_head.head());
  } else {
    ASSIGN_OR_RETURN(m_decompressed, make_decompressor(m_blob, declared));
  }
  m_compression = declared;
  if (declared != Compression::none) m_tar.emplace(*m_decompressed);
  return {};
}

Result<void> LayerDecoding::finish() {
  TRY(drain(m_blob));
  return {};
}

}  // namespace cairn
