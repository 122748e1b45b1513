// The decoding half of a layer's ingest (layer/ingest.h), on its own so that
// bench/floor.cc times exactly the same work:
//
//   blob ─▶ sha256 ─▶ decompress ─▶ sha256
//
// An uncompressed blob is its own tar, so its bytes are hashed once and both
// digests are the same: for the plain layer.tar of docker-archive files and
// `docker save` streams that halves the hashing.
#pragma once

#include <array>
#include <memory>
#include <optional>

#include "layer/decompress.h"
#include "layer/hashing_reader.h"

namespace cairn {

// Passes bytes through, keeping the first few for detect_compression.
class HeadRecorder final : public Reader {
 public:
  explicit HeadRecorder(Reader& inner) : m_inner(inner) {}
  Result<size_t> read(std::span<std::byte> buf) override;
  std::span<const std::byte> head() const { return std::span(m_head).first(m_size); }

 private:
  Reader& m_inner;
  std::array<std::byte, k_compression_magic_size> m_head{};
  size_t m_size = 0;
};

class LayerDecoding {
 public:
  // Reads `blob`, which must outlive this.
  explicit LayerDecoding(Reader& blob) : m_head(blob), m_blob(m_head) {}
  LayerDecoding(const LayerDecoding&) = delete;
  LayerDecoding& operator=(const LayerDecoding&) = delete;

  // Sets up the decompressor; a declared compression of none means "detect".
  Result<void> open(Compression declared);

  Reader& tar() { return m_tar ? static_cast<Reader&>(*m_tar) : *m_decompressed; }
  // Once tar() has returned 0: reads what follows the compressed stream.
  Result<void> finish();

  Compression compression() const { return m_compression; }
  std::uint64_t blob_bytes() const { return m_blob.bytes(); }
  std::uint64_t tar_bytes() const { return m_tar ? m_tar->bytes() : m_blob.bytes(); }
  Digest blob_digest() { return m_blob.digest(); }
  Digest diff_id() { return m_tar ? m_tar->digest() : m_blob.digest(); }

 private:
  HeadRecorder m_head;
  HashingReader m_blob;
  std::unique_ptr<Reader> m_decompressed;
  std::optional<HashingReader> m_tar;  // only for compressed blobs
  Compression m_compression = Compression::none;
};

}  // namespace cairn
