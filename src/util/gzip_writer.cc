#include "util/gzip_writer.h"

#include <zlib.h>

#include <algorithm>
#include <vector>

namespace cairn {

struct GzipWriter::State {
  explicit State(Writer& w) : inner(w), out(256 * 1024) {}
  Writer& inner;
  z_stream z{};
  bool ready = false;
  std::vector<std::byte> out;

  Result<void> deflate_all(int flush) {
    for (;;) {
      z.next_out = reinterpret_cast<Bytef*>(out.data());
      z.avail_out = static_cast<uInt>(out.size());
      int rc = ::deflate(&z, flush);
      if (rc == Z_STREAM_ERROR) return fail(Errc::bad_input, "gzip: deflate failed");
      size_t produced = out.size() - z.avail_out;
      if (produced > 0) TRY(inner.write(std::span(out).first(produced)));
      if (flush == Z_FINISH ? rc == Z_STREAM_END : z.avail_out != 0) return {};
    }
  }
};

GzipWriter::GzipWriter(Writer& inner) : m_state(std::make_unique<State>(inner)) {
  // windowBits 15 + 16: a gzip wrapper.
  m_state->ready =
      ::deflateInit2(&m_state->z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
}

GzipWriter::~GzipWriter() {
  if (m_state->ready) ::deflateEnd(&m_state->z);
}

Result<void> GzipWriter::write(std::span<const std::byte> bytes) {
  if (!m_state->ready) return fail(Errc::bad_input, "gzip: deflateInit2 failed");
  while (!bytes.empty()) {
    size_t n = std::min<size_t>(bytes.size(), 1u << 30);
    m_state->z.next_in = const_cast<Bytef*>(reinterpret_cast<const Bytef*>(bytes.data()));
    m_state->z.avail_in = static_cast<uInt>(n);
    TRY(m_state->deflate_all(Z_NO_FLUSH));
    bytes = bytes.subspan(n);
  }
  return {};
}

Result<void> GzipWriter::finish() {
  if (!m_state->ready) return fail(Errc::bad_input, "gzip: deflateInit2 failed");
  m_state->z.next_in = nullptr;
  m_state->z.avail_in = 0;
  TRY(m_state->deflate_all(Z_FINISH));
  return m_state->inner.finish();
}

}  // namespace cairn
