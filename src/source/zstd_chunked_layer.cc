// The rebuilt tar is a list of pieces (zstd_chunked_plan.h) read in turn:
// at any time one piece is open, and a piece's bytes go from its decoder (or
// the store's Reader) straight into the caller's buffer. Prefetched bytes
// stay in memory for the life of the reader (at most k_max_prefetch); a
// streamed file holds one range transfer and its pipe.
#include "source/zstd_chunked_layer.h"

#include <algorithm>

#include "layer/decompress.h"
#include "source/inflated_range.h"
#include "source/registry_ranges.h"
#include "source/zstd_chunked_plan.h"
#include "util/sha256.h"

namespace cairn {
namespace {

std::string range_text(const BlobRange& range) {
  return "bytes " + std::to_string(range.offset) + "-" + std::to_string(range.end() - 1);
}

// A file's content, checked against its TOC entry as it streams.
class CheckedContent final : public Reader {
 public:
  CheckedContent(std::unique_ptr<Reader> inner, const TocFile& file, std::string what)
      : m_inner(std::move(inner)), m_file(file), m_what(std::move(what)) {}

  Result<size_t> read(std::span<std::byte> buf) override {
    ASSIGN_OR_RETURN(size_t n, m_inner->read(buf));
    m_seen += n;
    if (m_seen > m_file.size)
      return mismatch("more than " + std::to_string(m_file.size) + " bytes");
    if (n > 0) {
      m_hash.update(buf.first(n));
      return n;
    }
    if (m_seen < m_file.size) return mismatch(std::to_string(m_seen) + " bytes");
    Digest actual = Digest::from_sum(m_hash.finish());
    if (actual != m_file.digest) return mismatch("sha256 " + actual.str().substr(7));
    return 0;
  }

 private:
  std::unexpected<Error> mismatch(const std::string& got) const {
    return fail(Errc::digest_mismatch, m_what + ": content has " + got + ", the TOC says " +
                                           std::to_string(m_file.size) + " bytes, " +
                                           m_file.digest.str());
  }

  std::unique_ptr<Reader> m_inner;
  const TocFile& m_file;
  std::string m_what;
  Sha256 m_hash;
  std::uint64_t m_seen = 0;
};

struct Prefetched {
  BlobRange range;
  std::string bytes;
};

class ChunkedTarReader final : public PartsReader {
 public:
  ChunkedTarReader(std::shared_ptr<RegistryClient> client, Digest blob, std::vector<TocFile> files,
                   ChunkedPlan plan, std::vector<Prefetched> prefetched, const LocalContents& local,
                   std::shared_ptr<FetchCounter> fetched)
      : m_client(std::move(client)),
        m_blob(std::move(blob)),
        m_files(std::move(files)),
        m_plan(std::move(plan)),
        m_prefetched(std::move(prefetched)),
        m_local(local),
        m_fetched(std::move(fetched)) {}

 private:
  Result<std::unique_ptr<Reader>> next_part() override {
    if (m_next == m_plan.pieces.size()) return std::unique_ptr<Reader>();
    return open_piece(m_plan.pieces[m_next++]);
  }

  Result<std::unique_ptr<Reader>> open_piece(const ChunkedPiece& piece);
  Result<std::unique_ptr<Reader>> open_frames(const BlobRange& range, std::string what);
  std::string layer_what() const { return "layer " + m_blob.str() + " (zstd:chunked)"; }

  std::shared_ptr<RegistryClient> m_client;
  Digest m_blob;
  std::vector<TocFile> m_files;
  ChunkedPlan m_plan;
  std::vector<Prefetched> m_prefetched;
  const LocalContents& m_local;
  std::shared_ptr<FetchCounter> m_fetched;
  size_t m_next = 0;
};

Result<std::unique_ptr<Reader>> ChunkedTarReader::open_piece(const ChunkedPiece& piece) {
  if (piece.kind == ChunkedPiece::Kind::between) {
    return open_frames(piece.range, layer_what() + ": tar frames at " + range_text(piece.range));
  }
  const TocFile& file = m_files[piece.file];
  std::string what = layer_what() + ": file \"" + file.name + "\"";
  std::unique_ptr<Reader> content;
  if (piece.kind == ChunkedPiece::Kind::local_file) {
    auto opened = m_local.open(file.digest, file.size);
    if (!opened) return fail(std::move(opened).error().wrap(what + " from the store"));
    content = std::move(*opened);
  } else {
    ASSIGN_OR_RETURN(content, open_frames(file.frames, what + " at " + range_text(file.frames)));
  }
  return std::unique_ptr<Reader>(new CheckedContent(std::move(content), file, std::move(what)));
}

// From the prefetched bytes when they hold the range, else streamed.
Result<std::unique_ptr<Reader>> ChunkedTarReader::open_frames(const BlobRange& range,
                                                              std::string what) {
  auto holds = [&range](const Prefetched& p) {
    return p.range.offset <= range.offset && range.end() <= p.range.end();
  };
  auto it = std::ranges::find_if(m_prefetched, holds);
  std::unique_ptr<Reader> frames;
  if (it != m_prefetched.end()) {
    std::string_view bytes(it->bytes);
    frames =
        std::make_unique<MemoryReader>(bytes.substr(range.offset - it->range.offset, range.length));
  } else {
    frames = open_blob_range(m_client, m_blob, range, m_fetched);
  }
  return open_inflated(std::move(frames), Compression::zstd, std::move(what));
}

// The TOC's files; nullopt when the registry ignores Range.
Result<std::optional<std::vector<TocFile>>> fetch_toc(RegistryClient& client, const Digest& blob,
                                                      const ChunkedLayout& layout,
                                                      FetchCounter& fetched) {
  std::string what = "layer " + blob.str() + " (zstd:chunked)";
  ASSIGN_OR_RETURN(auto got, fetch_blob_ranges(client, blob, std::span(&layout.toc, 1), fetched));
  if (!got) return std::nullopt;
  const std::string& compressed = got->front();
  Digest actual = Digest::of(compressed);
  if (actual != layout.toc_checksum) {
    return fail(Errc::digest_mismatch, what + ": TOC has digest " + actual.str() +
                                           ", its manifest-checksum annotation says " +
                                           layout.toc_checksum.str());
  }
  MemoryReader source(compressed);
  auto inflate = make_decompressor(source, Compression::zstd);
  if (!inflate) return fail(std::move(inflate).error().wrap(what + ": TOC"));
  auto json = read_all(**inflate, k_max_chunked_toc);
  if (!json) return fail(std::move(json).error().wrap(what + ": TOC"));
  ASSIGN_OR_RETURN(std::vector<TocFile> files,
                   parse_chunked_toc(*json, layout.content_end(), what));
  return files;
}

}  // namespace

Result<std::optional<PartialTar>> open_chunked_tar(std::shared_ptr<RegistryClient> client,
                                                   const Digest& blob, const ChunkedLayout& layout,
                                                   const LocalContents& local) {
  if (layout.toc_uncompressed > k_max_chunked_toc) return std::nullopt;
  auto fetched = std::make_shared<FetchCounter>(0);
  ASSIGN_OR_RETURN(auto files, fetch_toc(*client, blob, layout, *fetched));
  if (!files) return std::nullopt;
  auto is_local = [&local](const TocFile& f) { return local.has(f.digest, f.size); };
  ChunkedPlan plan = plan_chunked_tar(*files, layout.content_end(), is_local);
  if (plan.files_local == 0 || plan.prefetch_bytes > k_max_prefetch) return std::nullopt;
  ASSIGN_OR_RETURN(auto bytes, fetch_blob_ranges(*client, blob, plan.prefetch, *fetched));
  if (!bytes) return std::nullopt;
  std::vector<Prefetched> prefetched;
  for (size_t i = 0; i < plan.prefetch.size(); ++i) {
    prefetched.push_back({plan.prefetch[i], std::move((*bytes)[i])});
  }
  PartialTar out{nullptr, fetched, plan.files_local, plan.files_fetched};
  out.tar =
      std::make_unique<ChunkedTarReader>(std::move(client), blob, std::move(*files),
                                         std::move(plan), std::move(prefetched), local, fetched);
  return out;
}

}  // namespace cairn
