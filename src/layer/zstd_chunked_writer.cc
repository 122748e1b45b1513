// The writer is a state machine over the tar stream, fed 128 KiB at a time
// (like layer/tar_split_recorder.cc): a header block is collected and
// decoded, which says how many bytes of extension data, file content or
// other data (each followed by padding) come before the next header.
// Content bytes go into a frame of their own; all other bytes into the
// current "between" frame, which a content frame closes.
#include "layer/zstd_chunked_writer.h"

#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

#include "layer/zstd_chunked_fields.h"
#include "oci/digest.h"
#include "oci/zstd_chunked_keys.h"
#include "util/base64.h"
#include "util/sha256.h"
#include "util/tar_header.h"
#include "util/utf8.h"

namespace cairn {
namespace {

namespace th = tar_header;
namespace zc = zstd_chunked;
using Json = nlohmann::ordered_json;

constexpr size_t k_input_chunk = 128 << 10;
constexpr int k_zstd_level = 3;
constexpr std::string_view k_xattr_prefix = "SCHILY.xattr.";

std::uint64_t padding_of(std::uint64_t size) {
  return (th::k_block - size % th::k_block) % th::k_block;
}

void put_le64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

void put_le32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

std::string skippable_frame(std::string_view payload) {
  std::string frame;
  put_le32(frame, zc::k_skippable_magic);
  put_le32(frame, static_cast<std::uint32_t>(payload.size()));
  frame += payload;
  return frame;
}

}  // namespace

struct ZstdChunkedWriter::State {
  enum class Part { header, extension, content, raw, rest };

  explicit State(std::unique_ptr<Reader> tar)
      : input(std::move(tar)), buffer(k_input_chunk), cctx(ZSTD_createCCtx()) {
    CHECK_MSG(cctx != nullptr, "ZSTD_createCCtx failed");
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, k_zstd_level);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 0);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
  }
  ~State() { ZSTD_freeCCtx(cctx); }

  // Compresses DATA into the current frame; ZSTD_e_end closes it.
  Result<void> compress(std::span<const std::byte> data, ZSTD_EndDirective directive) {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    char chunk[64 << 10];
    for (;;) {
      ZSTD_outBuffer output{chunk, sizeof chunk, 0};
      size_t left = ZSTD_compressStream2(cctx, &output, &in, directive);
      if (ZSTD_isError(left)) {
        return fail(Errc::bad_input, std::string("zstd: ") + ZSTD_getErrorName(left));
      }
      out.append(chunk, output.pos);
      written += output.pos;
      bool done = directive == ZSTD_e_end ? left == 0 : in.pos == in.size;
      if (done) break;
    }
    frame_open = directive != ZSTD_e_end;
    return {};
  }

  Result<void> between(std::span<const std::byte> data) {
    if (data.empty()) return {};
    return compress(data, ZSTD_e_continue);
  }

  Result<void> end_frame() {
    if (!frame_open) return {};
    return compress({}, ZSTD_e_end);
  }

  // Feeds the next bytes of the tar.
  Result<void> consume(std::span<const std::byte> bytes) {
    while (!bytes.empty()) {
      size_t n = 0;
      switch (part) {
        case Part::header:
          n = std::min(bytes.size(), th::k_block - block_fill);
          std::memcpy(block.data() + block_fill, bytes.data(), n);
          block_fill += n;
          TRY(between(bytes.first(n)));
          if (block_fill == th::k_block) {
            block_fill = 0;
            TRY(on_header());
          }
          break;
        case Part::extension:
          n = static_cast<size_t>(std::min<std::uint64_t>(bytes.size(), remaining));
          extension.append(reinterpret_cast<const char*>(bytes.data()), n);
          TRY(between(bytes.first(n)));
          remaining -= n;
          if (remaining == 0) TRY(on_extension());
          break;
        case Part::content:
          n = static_cast<size_t>(std::min<std::uint64_t>(bytes.size(), remaining));
          sha.update(bytes.first(n));
          TRY(compress(bytes.first(n), ZSTD_e_continue));
          remaining -= n;
          if (remaining == 0) TRY(end_content());
          break;
        case Part::raw:
          n = static_cast<size_t>(std::min<std::uint64_t>(bytes.size(), remaining));
          TRY(between(bytes.first(n)));
          remaining -= n;
          break;
        case Part::rest:
          n = bytes.size();
          TRY(between(bytes));
          break;
      }
      bytes = bytes.subspan(n);
      if (part == Part::raw && remaining == 0) part = Part::header;
    }
    return {};
  }

  void skip(std::uint64_t size) {
    part = size > 0 ? Part::raw : Part::header;
    remaining = size;
  }

  // From here on no TOC can describe the tar.
  void give_up() {
    describable = false;
    part = Part::rest;
  }

  Result<void> on_header() {
    if (th::all_zero(block)) {
      ended = true;  // the end-of-archive blocks, and whatever follows
      part = Part::rest;
      return {};
    }
    std::optional<std::uint64_t> size = th::parse_number(block, 124, 12);
    char type = th::type_flag(block);
    if (!th::checksum_ok(block) || !size ||
        (th::is_extension(type) && *size > th::k_max_extension)) {
      give_up();
      return {};
    }
    if (th::is_extension(type)) {
      extension_type = type;
      extension.clear();
      padding = padding_of(*size);
      part = Part::extension;
      remaining = *size;
      if (remaining == 0) TRY(on_extension());
      return {};
    }
    TRY(on_member(type, pending.size.value_or(*size)));
    pending = {};
    pax_seen = false;
    return {};
  }

  Result<void> on_extension() {
    if (!th::apply_extension(extension_type, extension, pending, "zstd:chunked")) {
      give_up();
      return {};
    }
    pax_seen = pax_seen || extension_type == 'x';
    skip(padding);
    return {};
  }

  Result<void> on_member(char type, std::uint64_t size) {
    std::optional<Json> entry = describe(type, size);
    if (!entry) {
      give_up();
      return {};
    }
    bool content = (*entry)["type"] == "reg" && size > 0;
    if (!content) {
      entries.push_back(std::move(*entry));
      // Like libarchive: of the header-only types only a pax hardlink has data.
      skip(th::header_only(type) ? (type == '1' && pax_seen ? size : 0) : size);
      return {};
    }
    TRY(end_frame());
    (*entry)["offset"] = written;
    file = std::move(*entry);
    sha = Sha256();
    padding = padding_of(size);
    part = Part::content;
    remaining = size;
    return {};
  }

  Result<void> end_content() {
    TRY(end_frame());
    file["endOffset"] = written;
    file["digest"] = Digest::from_sum(sha.finish()).str();
    entries.push_back(std::move(file));
    skip(padding);
    return {};
  }

  // The TOC entry of the member in `block` (with `pending`); nullopt when
  // a TOC cannot describe it.
  std::optional<Json> describe(char type, std::uint64_t size) const {
    std::string_view kind = zc::toc_type(type);
    std::string name = th::member_name(block, pending);
    std::string link = th::member_link(block, pending);
    auto mode = th::parse_number(block, 100, 8);
    auto uid = record_or_field("uid", 108, 8);
    auto gid = record_or_field("gid", 116, 8);
    auto mtime = modtime();
    bool sparse = std::any_of(pending.records.begin(), pending.records.end(),
                              [](const auto& r) { return r.first.starts_with("GNU.sparse."); });
    if (kind.empty() || sparse || name.empty() || !valid_utf8(name) || !valid_utf8(link) || !mode ||
        !uid || !gid || !mtime) {
      return std::nullopt;
    }
    Json entry;
    entry["type"] = kind;
    entry["name"] = name;
    if (kind == "symlink" || kind == "hardlink") entry["linkName"] = link;
    entry["mode"] = *mode;
    if (kind == "reg") entry["size"] = size;
    entry["uid"] = *uid;
    entry["gid"] = *gid;
    entry["modtime"] = *mtime;
    if (kind == "char" || kind == "block") {
      auto major = th::parse_number(block, 329, 8);
      auto minor = th::parse_number(block, 337, 8);
      if (!major || !minor) return std::nullopt;
      entry["devMajor"] = *major;
      entry["devMinor"] = *minor;
    }
    Json xattrs = Json::object();
    for (const auto& [key, value] : pending.records) {
      if (!key.starts_with(k_xattr_prefix)) continue;
      std::string xattr = key.substr(k_xattr_prefix.size());
      if (!valid_utf8(xattr)) return std::nullopt;
      std::string encoded;
      append_base64(encoded, value);
      xattrs[xattr] = encoded;
    }
    if (!xattrs.empty()) entry["xattrs"] = std::move(xattrs);
    return entry;
  }

  std::optional<std::uint64_t> record_or_field(std::string_view key, size_t off, size_t len) const {
    auto it = pending.records.find(key);
    if (it == pending.records.end()) return th::parse_number(block, off, len);
    std::uint64_t v = 0;
    if (it->second.empty() || it->second.size() > 19) return std::nullopt;
    for (char c : it->second) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
  }

  std::optional<std::string> modtime() const {
    auto it = pending.records.find("mtime");
    if (it == pending.records.end()) {
      auto sec = th::parse_number(block, 136, 12);
      if (!sec || *sec > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
      return zc::rfc3339(static_cast<std::int64_t>(*sec), 0);
    }
    auto time = zc::parse_pax_time(it->second);
    if (!time) return std::nullopt;
    return zc::rfc3339(time->first, time->second);
  }

  // After the input's end: the last frame, then the TOC and the footer.
  Result<void> finish() {
    TRY(end_frame());
    // An empty input still gets a frame: a stream without one is not zstd.
    if (written == 0) TRY(compress({}, ZSTD_e_end));
    // Without the end-of-archive blocks the tar is cut short: no TOC.
    if (!describable || !ended) return {};
    Json toc;
    toc["version"] = 1;
    toc["entries"] = std::move(entries);
    std::string json = toc.dump();
    std::string packed(ZSTD_compressBound(json.size()), '\0');
    size_t n = ZSTD_compress(packed.data(), packed.size(), json.data(), json.size(), k_zstd_level);
    if (ZSTD_isError(n)) return fail(Errc::bad_input, std::string("zstd: ") + ZSTD_getErrorName(n));
    packed.resize(n);
    std::uint64_t toc_offset = written + zc::k_skippable_header;
    std::string footer;
    put_le64(footer, toc_offset);
    put_le64(footer, packed.size());
    put_le64(footer, json.size());
    put_le64(footer, zc::k_crfs_toc_type);
    footer += zc::k_footer_magic;
    std::string tail = skippable_frame(packed) + skippable_frame(footer);
    out += tail;
    written += tail.size();
    std::string prefix(zc::k_old_prefix);
    annotations[prefix + std::string(zc::k_manifest_position)] =
        std::to_string(toc_offset) + ":" + std::to_string(packed.size()) + ":" +
        std::to_string(json.size()) + ":" + std::to_string(zc::k_crfs_toc_type);
    annotations[prefix + std::string(zc::k_manifest_checksum)] = Digest::of(packed).str();
    return {};
  }

  std::unique_ptr<Reader> input;
  std::vector<std::byte> buffer;
  ZSTD_CCtx* cctx;
  std::string out;  // compressed bytes not yet read
  size_t out_pos = 0;
  std::uint64_t written = 0;  // compressed bytes produced so far
  bool frame_open = false;
  bool input_ended = false;

  Part part = Part::header;
  th::Block block{};
  size_t block_fill = 0;
  th::Pending pending;
  bool pax_seen = false;
  char extension_type = 0;
  std::string extension;
  std::uint64_t remaining = 0;
  std::uint64_t padding = 0;
  Sha256 sha;
  Json file;  // the entry whose content is being compressed
  Json entries = Json::array();
  bool describable = true;
  bool ended = false;  // the end-of-archive blocks were seen
  std::map<std::string, std::string> annotations;
};

ZstdChunkedWriter::ZstdChunkedWriter(std::unique_ptr<Reader> tar)
    : m(std::make_unique<State>(std::move(tar))) {}

ZstdChunkedWriter::~ZstdChunkedWriter() = default;

Result<size_t> ZstdChunkedWriter::read(std::span<std::byte> buf) {
  while (m->out_pos == m->out.size()) {
    if (m->input_ended) return 0;
    m->out.clear();
    m->out_pos = 0;
    ASSIGN_OR_RETURN(size_t n, m->input->read(m->buffer));
    if (n == 0) {
      m->input_ended = true;
      TRY(m->finish());
    } else {
      TRY(m->consume(std::span<const std::byte>(m->buffer).first(n)));
    }
  }
  size_t n = std::min(buf.size(), m->out.size() - m->out_pos);
  std::memcpy(buf.data(), m->out.data() + m->out_pos, n);
  m->out_pos += n;
  return n;
}

const std::map<std::string, std::string>& ZstdChunkedWriter::annotations() const {
  return m->annotations;
}

}  // namespace cairn
