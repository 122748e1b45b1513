#include "source/save_stream.h"

#include <array>

#include "source/tar_index.h"

namespace cairn {

using namespace tar_header;

SaveStreamWalker::SaveStreamWalker(Reader& stream, std::string name)
    : m_stream(stream), m_name(std::move(name)), m_data(*this) {}

Result<size_t> SaveStreamWalker::MemberData::read(std::span<std::byte> buf) {
  if (remaining == 0 || buf.empty()) return 0;
  if (buf.size() > remaining) buf = buf.first(static_cast<size_t>(remaining));
  ASSIGN_OR_RETURN(size_t n, m_walker.m_stream.read(buf));
  if (n == 0) {
    return fail(Errc::bad_input, m_walker.m_name + ": truncated stream (" +
                                     std::to_string(remaining) + " bytes of a member missing)");
  }
  remaining -= n;
  m_walker.m_offset += n;
  return n;
}

// Fills buf unless the stream ends first; returns the bytes read.
Result<size_t> SaveStreamWalker::read_exact(std::span<std::byte> buf, std::string_view what) {
  size_t got = 0;
  while (got < buf.size()) {
    auto n = m_stream.read(buf.subspan(got));
    if (!n) return fail(std::move(n.error()).wrap(m_name + ": " + std::string(what)));
    if (*n == 0) break;
    got += *n;
  }
  m_offset += got;
  return got;
}

Result<void> SaveStreamWalker::skip(std::uint64_t bytes) {
  std::array<std::byte, 65536> buf;
  while (bytes > 0) {
    size_t want = bytes < buf.size() ? static_cast<size_t>(bytes) : buf.size();
    ASSIGN_OR_RETURN(size_t n, read_exact(std::span(buf).first(want), "skip"));
    if (n != want) return fail(Errc::bad_input, m_name + ": truncated stream");
    bytes -= n;
  }
  return {};
}

Result<std::optional<Block>> SaveStreamWalker::read_header() {
  Block b;
  std::uint64_t at = m_offset;
  ASSIGN_OR_RETURN(size_t n, read_exact(std::as_writable_bytes(std::span(b)), "header"));
  std::string where = m_name + " at offset " + std::to_string(at);
  if (n == 0) return std::nullopt;  // no end marker: accepted
  if (n != k_block) return fail(Errc::bad_input, where + ": truncated stream (inside a header)");
  if (all_zero(b)) return std::nullopt;
  if (!checksum_ok(b)) return fail(Errc::bad_input, where + ": bad header checksum");
  return b;
}

Result<std::optional<StreamMember>> SaveStreamWalker::next() {
  TRY(skip(m_data.remaining + m_padding));
  m_data.remaining = 0;
  m_padding = 0;
  while (!m_done) {
    std::string where = m_name + " at offset " + std::to_string(m_offset);
    ASSIGN_OR_RETURN(std::optional<Block> b, read_header());
    if (!b) break;
    auto size = parse_number(*b, 124, 12);
    if (!size) return fail(Errc::bad_input, where + ": bad size field");
    char type = type_flag(*b);
    if (m_pending.size && !is_extension(type)) size = m_pending.size;
    std::uint64_t data_size = header_only(type) ? 0 : *size;
    std::uint64_t padding = (k_block - data_size % k_block) % k_block;
    if (is_extension(type)) {
      if (data_size > k_max_extension)
        return fail(Errc::bad_input, where + ": oversized extension");
      std::string data(static_cast<size_t>(data_size), '\0');
      ASSIGN_OR_RETURN(size_t n, read_exact(std::as_writable_bytes(std::span(data)), "extension"));
      if (n != data.size()) return fail(Errc::bad_input, where + ": truncated stream");
      TRY(skip(padding));
      if (type != 'g') TRY(apply_extension(type, data, m_pending, where));
      continue;
    }
    StreamMember member{member_name(*b, m_pending), kind_of(type), member_link(*b, m_pending),
                        data_size};
    m_pending = Pending{};
    auto normalized = normalize_archive_path(member.name);
    if (!normalized) return fail(std::move(normalized.error()).wrap(m_name));
    member.name = std::move(*normalized);
    m_data.remaining = data_size;
    m_padding = padding;
    return member;
  }
  m_done = true;
  return std::nullopt;
}

}  // namespace cairn
