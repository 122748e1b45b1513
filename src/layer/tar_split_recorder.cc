// The recorder is a state machine over the byte stream, fed in chunks of any
// size: a header block is collected, then decoded, which says how many bytes
// of extension data, file content or raw data (each followed by padding to
// the next 512-byte block) come before the next header. Raw bytes collect in
// the pending segment; content bytes are only hashed.
#include "layer/tar_split_recorder.h"

#include <algorithm>
#include <cstring>

#include "layer/oci_path.h"
#include "oci/digest.h"
#include "util/base64.h"
#include "util/utf8.h"

namespace cairn {
namespace {

namespace th = tar_header;

std::uint64_t padding_of(std::uint64_t size) {
  return (th::k_block - size % th::k_block) % th::k_block;
}

// GNU sparse headers: is the map continued in an extension block? (offset
// 482 in the header, 504 in an extension block)
constexpr size_t k_sparse_extended = 482;
constexpr size_t k_sparse_ext_extended = 504;

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char k_hex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      out += "\\u00";
      out += k_hex[c >> 4];
      out += k_hex[c & 15];
    } else {
      out += ch;
    }
  }
  out += '"';
}

// Would the backends' sinks take NAME for a regular file of that path?
bool names_a_file(const std::string& name) {
  if (name.ends_with('/')) return false;  // the tar reader makes it a directory
  auto path = classify_layer_path(name);
  return path && path->op == PathOp::entry && !path->is_root();
}

}  // namespace

Result<void> TarSplitRecorder::consume(std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    size_t used = 0;
    switch (m_state) {
      case State::header:
        used = take_header(bytes);
        if (m_block_fill == th::k_block) {
          m_block_fill = 0;
          m_segment.append(reinterpret_cast<const char*>(m_block.data()), th::k_block);
          TRY(on_header());
        }
        break;
      case State::extension: used = take_extension(bytes); break;
      case State::content: used = take_content(bytes); break;
      case State::raw: used = take_raw(bytes); break;
      case State::sparse_map: used = take_sparse_map(bytes); break;
      case State::rest:
        used = bytes.size();
        m_segment.append(reinterpret_cast<const char*>(bytes.data()), used);
        break;
    }
    bytes = bytes.subspan(used);
    if (m_state == State::extension && m_remaining == 0) {
      // The extension's data is complete: apply it, then skip its padding.
      TRY(th::apply_extension(m_extension_type, m_extension, m_pending,
                              "a pax header of the layer"));
      if (m_extension_type == 'x') {
        m_pax_seen = true;
        m_pax_sparse = m_pax_sparse || m_extension.find("GNU.sparse.") != std::string::npos;
      }
      m_state = State::raw;
      m_remaining = m_padding;
      m_padding = 0;
    }
    if (m_state == State::content && m_remaining == 0) TRY(end_reference());
    if (m_state == State::raw && m_remaining == 0) m_state = State::header;
    if (m_segment.size() >= k_max_segment) TRY(flush_segment());
  }
  return {};
}

size_t TarSplitRecorder::take_header(std::span<const std::byte> bytes) {
  size_t n = std::min(bytes.size(), th::k_block - m_block_fill);
  std::memcpy(m_block.data() + m_block_fill, bytes.data(), n);
  m_block_fill += n;
  return n;
}

size_t TarSplitRecorder::take_extension(std::span<const std::byte> bytes) {
  size_t n = static_cast<size_t>(std::min<std::uint64_t>(bytes.size(), m_remaining));
  std::string_view data(reinterpret_cast<const char*>(bytes.data()), n);
  m_extension.append(data);
  m_segment.append(data);
  m_remaining -= n;
  return n;
}

size_t TarSplitRecorder::take_raw(std::span<const std::byte> bytes) {
  size_t n = static_cast<size_t>(std::min<std::uint64_t>(bytes.size(), m_remaining));
  m_segment.append(reinterpret_cast<const char*>(bytes.data()), n);
  m_remaining -= n;
  return n;
}

size_t TarSplitRecorder::take_content(std::span<const std::byte> bytes) {
  size_t n = static_cast<size_t>(std::min<std::uint64_t>(bytes.size(), m_remaining));
  m_sha.update(bytes.first(n));
  m_remaining -= n;
  return n;
}

// GNU sparse map continuation blocks, raw; then the stored data.
size_t TarSplitRecorder::take_sparse_map(std::span<const std::byte> bytes) {
  size_t n = take_header(bytes);
  if (m_block_fill < th::k_block) return n;
  m_block_fill = 0;
  m_segment.append(reinterpret_cast<const char*>(m_block.data()), th::k_block);
  if (m_block[k_sparse_ext_extended] == 0) raw_data(m_size);
  return n;
}

// A complete header block (already in the segment).
Result<void> TarSplitRecorder::on_header() {
  if (th::all_zero(m_block) || !th::checksum_ok(m_block)) {
    m_state = State::rest;  // the end of the archive, or something not understood
    return {};
  }
  std::optional<std::uint64_t> size = th::parse_number(m_block, 124, 12);
  char type = th::type_flag(m_block);
  if (!size || (th::is_extension(type) && *size > th::k_max_extension)) {
    m_state = State::rest;
    return {};
  }
  if (th::is_extension(type)) {
    m_extension_type = type;
    m_extension.clear();
    m_state = State::extension;
    m_remaining = *size;
    m_padding = padding_of(*size);
    return {};
  }
  TRY(on_member(type, *size));
  m_pending = {};
  m_pax_seen = false;
  m_pax_sparse = false;
  return {};
}

Result<void> TarSplitRecorder::on_member(char type, std::uint64_t header_size) {
  std::uint64_t size = m_pending.size.value_or(header_size);
  if (th::header_only(type)) {
    // Like libarchive: only a pax hardlink carries data, and not as a file.
    raw_data(type == '1' && m_pax_seen ? size : 0);
    return {};
  }
  bool regular = type == '0' || type == '\0' || type == '7';
  bool gnu_sparse = type == 'S';
  if (!regular && !gnu_sparse) {
    raw_data(size);
    return {};
  }
  std::string name = th::member_name(m_block, m_pending);
  bool file = names_a_file(name);
  if (regular && !m_pax_sparse && file) return start_reference(std::move(name), size);
  if (file) {
    TRY(start_reference(std::move(name), 0));
    TRY(end_reference());
  }
  if (gnu_sparse && m_block[k_sparse_extended] != 0) {
    m_state = State::sparse_map;
    m_size = size;
    return {};
  }
  raw_data(size);
  return {};
}

// SIZE raw bytes and their padding.
void TarSplitRecorder::raw_data(std::uint64_t size) {
  m_state = State::raw;
  m_remaining = size + padding_of(size);
  m_padding = 0;
}

Result<void> TarSplitRecorder::start_reference(std::string name, std::uint64_t size) {
  TRY(flush_segment());
  m_name = std::move(name);
  m_size = size;
  m_sha = Sha256();
  m_state = State::content;
  m_remaining = size;
  m_padding = padding_of(size);
  return {};
}

Result<void> TarSplitRecorder::end_reference() {
  m_line = "{\"type\":1,";
  if (valid_utf8(m_name)) {
    m_line += "\"name\":";
    append_json_string(m_line, m_name);
  } else {
    m_line += "\"name_raw\":\"";
    append_base64(m_line, m_name);
    m_line += '"';
  }
  if (m_size > 0) {
    m_line += ",\"size\":" + std::to_string(m_size) + ",\"digest\":\"";
    m_line += Digest::from_sum(m_sha.finish()).str();
    m_line += '"';
  }
  TRY(write_line(m_line));
  ++m_references;
  m_state = State::raw;
  m_remaining = m_padding;
  m_padding = 0;
  return {};
}

Result<void> TarSplitRecorder::flush_segment() {
  if (m_segment.empty()) return {};
  m_line = "{\"type\":2,\"payload\":\"";
  append_base64(m_line, m_segment);
  m_line += '"';
  m_segment.clear();
  return write_line(m_line);
}

// Ends LINE with its position and writes it.
Result<void> TarSplitRecorder::write_line(std::string& line) {
  line += ",\"position\":" + std::to_string(m_position++) + "}\n";
  return m_out.write(line);
}

Result<void> TarSplitRecorder::finish() {
  if (m_state == State::content && m_remaining > 0) {
    return fail(Errc::bad_input, "tar-split: the tar ends inside " + m_name);
  }
  if (m_state == State::header || m_state == State::sparse_map) {
    m_segment.append(reinterpret_cast<const char*>(m_block.data()), m_block_fill);
    m_block_fill = 0;
  }
  return flush_segment();
}

}  // namespace cairn
