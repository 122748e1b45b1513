#include "erofs/image_sink.h"

#include "util/sys.h"

namespace cairn::erofs {

Result<void> FdImageSink::write(std::span<const std::byte> data) {
  return sys::write_all(m_fd, data, m_name);
}

}  // namespace cairn::erofs
