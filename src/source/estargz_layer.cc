// The rebuilt tar is a list of pieces in blob order, read in turn: a byte
// range streamed from the registry and decompressed, the TOC member and
// footer from memory, or the leading bytes of a file the store holds.
#include "source/estargz_layer.h"

#include <algorithm>

#include "source/estargz_toc.h"
#include "source/inflated_range.h"
#include "source/registry_ranges.h"

namespace cairn {
namespace {

struct Piece {
  enum class Kind { fetched, tail, local };
  Kind kind = Kind::fetched;
  BlobRange range;           // fetched, tail: the compressed bytes; local: what is not fetched
  size_t file = 0;           // local: the file
  std::uint64_t length = 0;  // local: its leading bytes given from the store
};

struct Plan {
  std::vector<Piece> pieces;
  size_t files_local = 0;
};

// The members a store holding a file's content can stand in for: its leading
// chunks that each start a member of their own and are not its last.
std::uint64_t skippable_end(const EstargzFile& file) {
  size_t n = 0;
  while (n + 1 < file.chunks.size() && file.chunks[n].inner_offset == 0 &&
         file.chunks[n + 1].inner_offset == 0 &&
         file.chunks[n + 1].member > file.chunks[n].member) {
    ++n;
  }
  return n;
}

Plan plan_estargz(const std::vector<EstargzFile>& files, std::uint64_t toc_offset,
                  std::uint64_t blob_size, const LocalContents& local) {
  Plan plan;
  std::uint64_t at = 0;  // blob bytes planned so far
  for (size_t i = 0; i < files.size(); ++i) {
    const EstargzFile& file = files[i];
    size_t n = skippable_end(file);
    if (n == 0 || !local.has(file.digest, file.size)) continue;
    std::uint64_t start = file.chunks[0].member;
    std::uint64_t end = file.chunks[n].member;
    if (start > at) plan.pieces.push_back({Piece::Kind::fetched, {at, start - at}, 0, 0});
    plan.pieces.push_back(
        {Piece::Kind::local, {start, end - start}, i, file.chunks[n].file_offset});
    ++plan.files_local;
    at = end;
  }
  if (toc_offset > at) plan.pieces.push_back({Piece::Kind::fetched, {at, toc_offset - at}, 0, 0});
  plan.pieces.push_back({Piece::Kind::tail, {toc_offset, blob_size - toc_offset}, 0, 0});
  return plan;
}

// The first `length` bytes of a reader.
class PrefixReader final : public Reader {
 public:
  PrefixReader(std::unique_ptr<Reader> inner, std::uint64_t length)
      : m_inner(std::move(inner)), m_left(length) {}
  Result<size_t> read(std::span<std::byte> buf) override {
    if (m_left == 0) return 0;
    size_t want = static_cast<size_t>(std::min<std::uint64_t>(buf.size(), m_left));
    ASSIGN_OR_RETURN(size_t n, m_inner->read(buf.first(want)));
    if (n == 0) return fail(Errc::bad_input, "the store's content ended early");
    m_left -= n;
    return n;
  }

 private:
  std::unique_ptr<Reader> m_inner;
  std::uint64_t m_left;
};

class EstargzTarReader final : public PartsReader {
 public:
  EstargzTarReader(std::shared_ptr<RegistryClient> client, Digest blob,
                   std::vector<EstargzFile> files, Plan plan, std::string tail,
                   const LocalContents& local, std::shared_ptr<FetchCounter> fetched)
      : m_client(std::move(client)),
        m_blob(std::move(blob)),
        m_files(std::move(files)),
        m_plan(std::move(plan)),
        m_tail(std::move(tail)),
        m_local(local),
        m_fetched(std::move(fetched)) {}

 private:
  Result<std::unique_ptr<Reader>> next_part() override {
    if (m_next == m_plan.pieces.size()) return std::unique_ptr<Reader>();
    return open_piece(m_plan.pieces[m_next++]);
  }

  Result<std::unique_ptr<Reader>> open_piece(const Piece& piece) {
    std::string what = "layer " + m_blob.str() + " (eStargz)";
    std::string where = " at bytes " + std::to_string(piece.range.offset) + "-" +
                        std::to_string(piece.range.end() - 1);
    switch (piece.kind) {
      case Piece::Kind::fetched:
        return open_inflated(open_blob_range(m_client, m_blob, piece.range, m_fetched),
                             Compression::gzip, what + ": members" + where);
      case Piece::Kind::tail:
        return open_inflated(std::make_unique<MemoryReader>(m_tail), Compression::gzip,
                             what + ": the TOC member" + where);
      case Piece::Kind::local: {
        const EstargzFile& file = m_files[piece.file];
        auto opened = m_local.open(file.digest, file.size);
        if (!opened) {
          return fail(
              std::move(opened).error().wrap(what + ": file \"" + file.name + "\" from the store"));
        }
        return std::unique_ptr<Reader>(new PrefixReader(std::move(*opened), piece.length));
      }
    }
    return fail(Errc::bad_input, what + ": unknown piece");
  }

  std::shared_ptr<RegistryClient> m_client;
  Digest m_blob;
  std::vector<EstargzFile> m_files;
  Plan m_plan;
  std::string m_tail;  // the TOC member and the footer, compressed
  const LocalContents& m_local;
  std::shared_ptr<FetchCounter> m_fetched;
  size_t m_next = 0;
};

// One range; nullopt when the registry ignores Range.
Result<std::optional<std::string>> fetch_range(RegistryClient& client, const Digest& blob,
                                               BlobRange range, FetchCounter& fetched) {
  ASSIGN_OR_RETURN(auto got, fetch_blob_ranges(client, blob, std::span(&range, 1), fetched));
  if (!got) return std::nullopt;
  return std::move(got->front());
}

}  // namespace

Result<std::optional<PartialTar>> open_estargz_tar(std::shared_ptr<RegistryClient> client,
                                                   const Digest& blob, std::uint64_t blob_size,
                                                   const Digest& toc_digest,
                                                   const LocalContents& local) {
  std::string what = "layer " + blob.str() + " (eStargz)";
  if (blob_size <= k_estargz_footer_size) return std::nullopt;
  auto fetched = std::make_shared<FetchCounter>(0);
  std::uint64_t footer_at = blob_size - k_estargz_footer_size;
  ASSIGN_OR_RETURN(auto footer,
                   fetch_range(*client, blob, {footer_at, k_estargz_footer_size}, *fetched));
  if (!footer) return std::nullopt;
  ASSIGN_OR_RETURN(std::uint64_t toc_offset, parse_estargz_footer(*footer, blob_size, what));
  if (footer_at - toc_offset > k_max_estargz_toc) return std::nullopt;
  ASSIGN_OR_RETURN(auto member,
                   fetch_range(*client, blob, {toc_offset, footer_at - toc_offset}, *fetched));
  if (!member) return std::nullopt;
  ASSIGN_OR_RETURN(auto inflate, open_inflated(std::make_unique<MemoryReader>(*member),
                                               Compression::gzip, what + ": the TOC member"));
  auto toc_tar = read_all(*inflate, k_max_estargz_toc);
  if (!toc_tar) return fail(std::move(toc_tar).error().wrap(what + ": the TOC member"));
  ASSIGN_OR_RETURN(std::string json, estargz_toc_json(*toc_tar, what));
  Digest actual = Digest::of(json);
  if (actual != toc_digest) {
    return fail(Errc::digest_mismatch, what + ": TOC has digest " + actual.str() +
                                           ", its toc.digest annotation says " + toc_digest.str());
  }
  ASSIGN_OR_RETURN(std::vector<EstargzFile> files, parse_estargz_toc(json, toc_offset, what));
  Plan plan = plan_estargz(files, toc_offset, blob_size, local);
  if (plan.files_local == 0) return std::nullopt;
  PartialTar out{nullptr, fetched, plan.files_local, files.size() - plan.files_local};
  std::string tail = std::move(*member) + *footer;
  out.tar = std::make_unique<EstargzTarReader>(std::move(client), blob, std::move(files),
                                               std::move(plan), std::move(tail), local, fetched);
  return out;
}

}  // namespace cairn
