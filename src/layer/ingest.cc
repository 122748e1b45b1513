#include "layer/ingest.h"

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "layer/layer_decoding.h"
#include "layer/tar_reader.h"
#include "util/byte_pipe.h"

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

// Passes bytes through, copying them to a Writer.
class TeeReader final : public Reader {
 public:
  TeeReader(Reader& inner, Writer& copy) : m_inner(inner), m_copy(copy) {}
  Result<size_t> read(std::span<std::byte> buf) override {
    ASSIGN_OR_RETURN(size_t n, m_inner.read(buf));
    TRY(m_copy.write(std::span<const std::byte>(buf.first(n))));
    return n;
  }

 private:
  Reader& m_inner;
  Writer& m_copy;
};

// The first half of the pipeline (read, hash the blob, decompress, hash the
// tar) runs on its own thread and hands the tar stream over through a
// bounded pipe, so decompression and hashing overlap with applying entries.
// The producer always reads its input to the end: both digests cover every
// byte, including whatever follows the tar's end-of-archive blocks.
class Decoder {
 public:
  // Results of the decoding thread, read once finish() has succeeded.
  struct Digests {
    std::uint64_t blob_bytes = 0;
    std::uint64_t tar_bytes = 0;
    Digest blob_digest;
    Digest diff_id;
    Compression compression = Compression::none;
  };

  // A declared compression of none means "detect from the first bytes".
  Decoder(Reader& blob_stream, Compression compression, const IngestTaps& taps)
      : m_source(blob_stream), m_compression(compression), m_taps(taps), m_pipe(k_pipe_capacity) {}
  ~Decoder() { stop(); }

  void start() {
    m_thread = std::thread([this] { m_pipe.close(run()); });
  }
  Reader& tar_stream() { return m_pipe_reader; }

  // Consumes what the tar reader left, waits for the thread, and returns its
  // outcome. After a failure on the consuming side call stop() instead.
  Result<void> finish() {
    TRY(drain(m_pipe_reader));
    m_thread.join();
    return m_status;
  }
  void stop() {
    if (!m_thread.joinable()) return;
    m_pipe.cancel();
    m_thread.join();
  }

  const Digests& digests() const { return *m_digests; }

 private:
  static constexpr size_t k_pipe_capacity = 4 << 20;

  class PipeReader final : public Reader {
   public:
    explicit PipeReader(BytePipe& pipe) : m_pipe(pipe) {}
    Result<size_t> read(std::span<std::byte> buf) override { return m_pipe.read(buf); }

   private:
    BytePipe& m_pipe;
  };

  Result<void> run() {
    m_status = pump();
    return m_status;
  }

  Result<void> pump() {
    std::optional<TeeReader> tee;
    if (m_taps.blob_copy) tee.emplace(m_source, *m_taps.blob_copy);
    LayerDecoding decoding(tee ? static_cast<Reader&>(*tee) : m_source);
    TRY(decoding.open(m_compression));
    std::vector<std::byte> buf(256 * 1024);
    for (;;) {
      ASSIGN_OR_RETURN(size_t n, decoding.tar().read(buf));
      if (n == 0) break;
      std::span<const std::byte> chunk = std::span(buf).first(n);
      if (m_taps.tar_split) TRY(m_taps.tar_split->consume(chunk));
      if (!m_pipe.write(chunk)) return fail(Errc::usage, "ingest cancelled");
    }
    if (m_taps.tar_split) TRY(m_taps.tar_split->finish());
    TRY(decoding.finish());
    m_digests = Digests{decoding.blob_bytes(), decoding.tar_bytes(), decoding.blob_digest(),
                        decoding.diff_id(), decoding.compression()};
    return {};
  }

  Reader& m_source;
  Compression m_compression;
  IngestTaps m_taps;
  BytePipe m_pipe;
  PipeReader m_pipe_reader{m_pipe};
  std::thread m_thread;
  Result<void> m_status;
  std::optional<Digests> m_digests;
};

// Feeds the decoded tar into `sink` and waits for the decoding thread; on
// any failure the thread is stopped first.
Result<std::uint64_t> apply_decoded(Decoder& decoder, LayerSink& sink) {
  decoder.start();
  auto entries = read_tar_into(decoder.tar_stream(), sink);
  Result<void> consumed = entries ? sink.finish() : fail(std::move(entries).error());
  if (!consumed) {
    decoder.stop();
    return fail(std::move(consumed).error());
  }
  TRY(decoder.finish());
  return *entries;
}

Result<IngestStats> verify(const LayerDescriptor& layer, const Decoder::Digests& digests,
                           IngestStats stats) {
  stats.blob_bytes = digests.blob_bytes;
  stats.tar_bytes = digests.tar_bytes;
  if (layer.size && *layer.size != stats.blob_bytes) {
    return SizeLimitReader::size_mismatch(*layer.size, std::to_string(stats.blob_bytes));
  }
  TRY(check_digest("blob digest", layer.blob_digest, digests.blob_digest));
  TRY(check_digest("diff_id", layer.diff_id, digests.diff_id));
  return stats;
}

Result<IngestStats> ingest(const LayerDescriptor& layer, LayerSink& sink, const IngestTaps& taps) {
  if (!layer.open) return fail(Errc::usage, "no way to open the blob");
  ASSIGN_OR_RETURN(std::unique_ptr<Reader> raw, layer.open());
  SizeLimitReader limited(*raw, layer.size);
  Decoder decoder(limited, layer.compression, taps);
  IngestStats stats;
  ASSIGN_OR_RETURN(stats.entries, apply_decoded(decoder, sink));
  return verify(layer, decoder.digests(), stats);
}

}  // namespace

Result<IngestDigests> ingest_unverified(Reader& blob_stream, LayerSink& sink,
                                        const IngestTaps& taps) {
  Decoder decoder(blob_stream, Compression::none, taps);
  IngestStats stats;
  ASSIGN_OR_RETURN(stats.entries, apply_decoded(decoder, sink));
  const Decoder::Digests& digests = decoder.digests();
  stats.blob_bytes = digests.blob_bytes;
  stats.tar_bytes = digests.tar_bytes;
  return IngestDigests{stats, digests.blob_digest, digests.diff_id, digests.compression};
}

Result<IngestStats> ingest_layer(const LayerDescriptor& layer, LayerSink& sink,
                                 const IngestTaps& taps) {
  auto stats = ingest(layer, sink, taps);
  if (!stats) return fail(std::move(stats).error().wrap("layer " + layer.blob_digest.str()));
  return stats;
}

}  // namespace cairn
