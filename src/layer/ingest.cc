#include "layer/ingest.h"

#include <array>
#include <memory>
#include <optional>
#include <string>

#include "layer/decompress.h"
#include "layer/hashing_reader.h"
#include "layer/tar_reader.h"

namespace cairn {
namespace {

// Fails as soon as the stream outgrows the size the manifest declares, so a
// hostile source cannot make ingest read forever.
class SizeLimitReader final : public Reader {
 public:
  SizeLimitReader(Reader& inner, std::optional<std::uint64_t> limit)
      : m_inner(inner), m_limit(limit) {}
  Result<size_t> read(std::span<std::byte> buf) override {
    ASSIGN_OR_RETURN(size_t n, m_inner.read(buf));
    m_bytes += n;
    if (m_limit && m_bytes > *m_limit) return size_mismatch(*m_limit, "more");
    return n;
  }

  static std::unexpected<Error> size_mismatch(std::uint64_t expected, const std::string& got) {
    return fail(Errc::digest_mismatch,
                "blob size mismatch: expected " + std::to_string(expected) + " bytes, got " + got);
  }

 private:
  Reader& m_inner;
  std::optional<std::uint64_t> m_limit;
  std::uint64_t m_bytes = 0;
};

// Passes bytes through, keeping the first few for detect_compression.
class HeadRecorder final : public Reader {
 public:
  explicit HeadRecorder(Reader& inner) : m_inner(inner) {}
  Result<size_t> read(std::span<std::byte> buf) override {
    ASSIGN_OR_RETURN(size_t n, m_inner.read(buf));
    for (size_t i = 0; i < n && m_size < m_head.size(); ++i) m_head[m_size++] = buf[i];
    return n;
  }
  std::span<const std::byte> head() const { return std::span(m_head).first(m_size); }

 private:
  Reader& m_inner;
  std::array<std::byte, k_compression_magic_size> m_head{};
  size_t m_size = 0;
};

Result<std::unique_ptr<Reader>> open_decompressor(Reader& blob, Compression compression) {
  if (compression == Compression::none) return make_detecting_decompressor(blob);
  return make_decompressor(blob, compression);
}

Result<void> check_digest(std::string_view what, const Digest& expected, const Digest& actual) {
  if (expected == actual) return {};
  return fail(Errc::digest_mismatch, std::string(what) + " mismatch: expected " + expected.str() +
                                         ", got " + actual.str());
}

Result<IngestStats> ingest(const LayerDescriptor& layer, LayerSink& sink) {
  if (!layer.open) return fail(Errc::usage, "no way to open the blob");
  ASSIGN_OR_RETURN(std::unique_ptr<Reader> raw, layer.open());
  SizeLimitReader limited(*raw, layer.size);
  HashingReader blob(limited);
  ASSIGN_OR_RETURN(std::unique_ptr<Reader> decompressed,
                   open_decompressor(blob, layer.compression));
  HashingReader tar(*decompressed);

  IngestStats stats;
  ASSIGN_OR_RETURN(stats.entries, read_tar_into(tar, sink));
  TRY(sink.finish());
  TRY(drain(tar));
  TRY(drain(blob));
  stats.blob_bytes = blob.bytes();
  stats.tar_bytes = tar.bytes();

  if (layer.size && *layer.size != blob.bytes()) {
    return SizeLimitReader::size_mismatch(*layer.size, std::to_string(blob.bytes()));
  }
  TRY(check_digest("blob digest", layer.blob_digest, blob.digest()));
  TRY(check_digest("diff_id", layer.diff_id, tar.digest()));
  return stats;
}

}  // namespace

Result<IngestDigests> ingest_unverified(Reader& blob_stream, LayerSink& sink) {
  HeadRecorder head(blob_stream);
  HashingReader blob(head);
  ASSIGN_OR_RETURN(std::unique_ptr<Reader> decompressed, make_detecting_decompressor(blob));
  HashingReader tar(*decompressed);
  IngestStats stats;
  ASSIGN_OR_RETURN(stats.entries, read_tar_into(tar, sink));
  TRY(sink.finish());
  TRY(drain(tar));
  TRY(drain(blob));
  stats.blob_bytes = blob.bytes();
  stats.tar_bytes = tar.bytes();
  return IngestDigests{stats, blob.digest(), tar.digest(), detect_compression(head.head())};
}

Result<IngestStats> ingest_layer(const LayerDescriptor& layer, LayerSink& sink) {
  auto stats = ingest(layer, sink);
  if (!stats) return fail(std::move(stats).error().wrap("layer " + layer.blob_digest.str()));
  return stats;
}

}  // namespace cairn
