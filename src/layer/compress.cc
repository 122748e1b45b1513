#include "layer/compress.h"

#include <zlib.h>
#include <zstd.h>

#include <string>
#include <vector>

namespace cairn {
namespace {

constexpr size_t k_input_chunk = 128 << 10;
constexpr int k_gzip_level = 6;
constexpr int k_zstd_level = 3;

// Reads the input in chunks and lets a codec turn them into output; the
// codec says how much of `in` it took and what it wrote.
class CompressingReader : public Reader {
 public:
  explicit CompressingReader(std::unique_ptr<Reader> input)
      : m_input(std::move(input)), m_buffer(k_input_chunk) {}

  Result<size_t> read(std::span<std::byte> buf) override {
    while (!m_done) {
      if (m_pending.empty() && !m_input_ended) {
        ASSIGN_OR_RETURN(size_t n, m_input->read(m_buffer));
        m_pending = std::span<const std::byte>(m_buffer).first(n);
        m_input_ended = n == 0;
      }
      ASSIGN_OR_RETURN(size_t written, step(buf));
      if (written > 0) return written;
    }
    return 0;
  }

 protected:
  // Compresses from m_pending (advancing it) into `out`; sets m_done after
  // the stream's end is written.
  virtual Result<size_t> step(std::span<std::byte> out) = 0;

  std::span<const std::byte> m_pending;
  bool m_input_ended = false;
  bool m_done = false;

 private:
  std::unique_ptr<Reader> m_input;
  std::vector<std::byte> m_buffer;
};

class GzipCompressor final : public CompressingReader {
 public:
  explicit GzipCompressor(std::unique_ptr<Reader> input) : CompressingReader(std::move(input)) {
    // windowBits 15 + 16: a gzip wrapper with zlib's default header.
    int rc = deflateInit2(&m_z, k_gzip_level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    CHECK_MSG(rc == Z_OK, "deflateInit2 failed");
  }
  ~GzipCompressor() override { deflateEnd(&m_z); }

 private:
  Result<size_t> step(std::span<std::byte> out) override {
    m_z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(m_pending.data()));
    m_z.avail_in = static_cast<uInt>(m_pending.size());
    m_z.next_out = reinterpret_cast<Bytef*>(out.data());
    m_z.avail_out = static_cast<uInt>(out.size());
    int rc = deflate(&m_z, m_input_ended ? Z_FINISH : Z_NO_FLUSH);
    if (rc == Z_STREAM_ERROR) return fail(Errc::bad_input, "gzip: deflate failed");
    m_pending = m_pending.last(m_z.avail_in);
    if (rc == Z_STREAM_END) m_done = true;
    return out.size() - m_z.avail_out;
  }

  z_stream m_z{};
};

class ZstdCompressor final : public CompressingReader {
 public:
  explicit ZstdCompressor(std::unique_ptr<Reader> input)
      : CompressingReader(std::move(input)), m_cctx(ZSTD_createCCtx()) {
    CHECK_MSG(m_cctx != nullptr, "ZSTD_createCCtx failed");
    ZSTD_CCtx_setParameter(m_cctx, ZSTD_c_compressionLevel, k_zstd_level);
    ZSTD_CCtx_setParameter(m_cctx, ZSTD_c_checksumFlag, 0);
    ZSTD_CCtx_setParameter(m_cctx, ZSTD_c_contentSizeFlag, 0);
  }
  ~ZstdCompressor() override { ZSTD_freeCCtx(m_cctx); }

 private:
  Result<size_t> step(std::span<std::byte> out) override {
    ZSTD_inBuffer in{m_pending.data(), m_pending.size(), 0};
    ZSTD_outBuffer output{out.data(), out.size(), 0};
    size_t left =
        ZSTD_compressStream2(m_cctx, &output, &in, m_input_ended ? ZSTD_e_end : ZSTD_e_continue);
    if (ZSTD_isError(left)) {
      return fail(Errc::bad_input, std::string("zstd: ") + ZSTD_getErrorName(left));
    }
    m_pending = m_pending.subspan(in.pos);
    if (m_input_ended && left == 0) m_done = true;
    return output.pos;
  }

  ZSTD_CCtx* m_cctx;
};

}  // namespace

std::unique_ptr<Reader> make_compressor(std::unique_ptr<Reader> input, Compression compression) {
  switch (compression) {
    case Compression::gzip: return std::make_unique<GzipCompressor>(std::move(input));
    case Compression::zstd: return std::make_unique<ZstdCompressor>(std::move(input));
    case Compression::none: break;
  }
  return input;
}

}  // namespace cairn
