#include "backend/composefs/layer_index.h"

#include <charconv>

#include "util/split.h"

namespace cairn::composefs {
namespace {

constexpr char k_hex[] = "0123456789abcdef";

void append_escaped(std::string& out, std::string_view bytes) {
  for (char c : bytes) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '\\' || c == '=') {
      out += "\\x";
      out += k_hex[u >> 4];
      out += k_hex[u & 15];
    } else {
      out += c;
    }
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> unescape(std::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '\\') {
      out += field[i];
      continue;
    }
    if (i + 4 > field.size() || field[i + 1] != 'x') return std::nullopt;
    int hi = hex_value(field[i + 2]);
    int lo = hex_value(field[i + 3]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 3;
  }
  return out;
}

template <typename T>
void append_number(std::string& out, T value, int base = 10) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, base);
  out.append(buf, end);
}

template <typename T>
bool parse_number(std::string_view field, T& value, int base = 10) {
  auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value, base);
  return ec == std::errc() && end == field.data() + field.size();
}

void append_entry(std::string& out, const IndexEntry& e) {
  out += static_cast<char>(e.op);
  out += " /";
  append_escaped(out, e.path);
  out += ' ';
  append_number(out, e.mode, 8);
  for (std::uint64_t n : {std::uint64_t{e.uid}, std::uint64_t{e.gid}}) {
    out += ' ';
    append_number(out, n);
  }
  out += ' ';
  append_number(out, e.mtime_sec);
  for (std::uint64_t n : {std::uint64_t{e.mtime_nsec}, e.size, std::uint64_t{e.dev_major},
                          std::uint64_t{e.dev_minor}}) {
    out += ' ';
    append_number(out, n);
  }
  if (e.object) {
    out += " @" + erofs::verity_hex(*e.object);
  } else if (e.data.empty() && e.op != IndexOp::regular && e.op != IndexOp::symlink) {
    out += " -";
  } else {
    out += " =";
    append_escaped(out, e.data);
  }
  for (const Xattr& x : e.xattrs) {
    out += ' ';
    append_escaped(out, x.name);
    out += '=';
    append_escaped(out, x.value);
  }
  out += '\n';
}

bool known_op(char c) {
  return std::string_view("fdlhcbpwo").find(c) != std::string_view::npos;
}

bool parse_content(std::string_view field, IndexEntry& e) {
  if (field == "-") return true;
  if (field.starts_with('@')) {
    auto digest = erofs::parse_verity_hex(field.substr(1));
    if (!digest) return false;
    e.object = *digest;
    return true;
  }
  if (!field.starts_with('=')) return false;
  auto data = unescape(field.substr(1));
  if (!data) return false;
  e.data = std::move(*data);
  return true;
}

bool parse_xattr(std::string_view field, IndexEntry& e) {
  size_t eq = field.find('=');
  if (eq == std::string_view::npos) return false;
  auto name = unescape(field.substr(0, eq));
  auto value = unescape(field.substr(eq + 1));
  if (!name || !value || name->empty()) return false;
  e.xattrs.push_back({std::move(*name), std::move(*value)});
  return true;
}

// Parses LINE into E, whose earlier contents it replaces.
bool parse_entry(std::string_view line, IndexEntry& e) {
  std::vector<std::string_view> f = split(line, ' ');
  if (f.size() < 11 || f[0].size() != 1 || !known_op(f[0][0]) || !f[1].starts_with('/')) {
    return false;
  }
  e.object.reset();
  e.data.clear();
  e.xattrs.clear();
  e.op = static_cast<IndexOp>(f[0][0]);
  auto path = unescape(f[1].substr(1));
  if (!path) return false;
  e.path = std::move(*path);
  bool ok = parse_number(f[2], e.mode, 8) && parse_number(f[3], e.uid) &&
            parse_number(f[4], e.gid) && parse_number(f[5], e.mtime_sec) &&
            parse_number(f[6], e.mtime_nsec) && parse_number(f[7], e.size) &&
            parse_number(f[8], e.dev_major) && parse_number(f[9], e.dev_minor) &&
            parse_content(f[10], e);
  for (size_t i = 11; ok && i < f.size(); ++i) ok = parse_xattr(f[i], e);
  // A regular file held inline is exactly SIZE bytes (the image writer relies on it).
  return ok && !(e.op == IndexOp::regular && !e.object && e.data.size() != e.size);
}

}  // namespace

IndexText::IndexText() : m_text(k_index_magic) {
  m_text += '\n';
}

void IndexText::append(const IndexEntry& entry) {
  append_entry(m_text, entry);
  ++m_entries;
}

std::string IndexText::take() && {
  m_text += "end ";
  append_number(m_text, m_entries);
  m_text += '\n';
  return std::move(m_text);
}

std::string serialize_index(const LayerIndex& index) {
  IndexText text;
  for (const IndexEntry& e : index.entries) text.append(e);
  return std::move(text).take();
}

Result<LayerIndex> parse_index(std::string_view text) {
  LayerIndex index;
  TRY(for_each_index_entry(text, [&](const IndexEntry& e) -> Result<void> {
    index.entries.push_back(e);
    return {};
  }));
  return index;
}

Result<void> for_each_index_entry(std::string_view text,
                                  const std::function<Result<void>(const IndexEntry&)>& visit) {
  size_t pos = 0;
  size_t number = 0;
  size_t entries = 0;
  IndexEntry entry;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) break;
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++number;
    if (number == 1) {
      if (line != k_index_magic) return fail(Errc::corrupt_store, "layer index: bad header");
      continue;
    }
    if (line.starts_with("end ")) {
      size_t count = 0;
      if (!parse_number(line.substr(4), count) || count != entries || pos != text.size()) {
        return fail(Errc::corrupt_store, "layer index: bad end line");
      }
      return {};
    }
    if (!parse_entry(line, entry)) {
      return fail(Errc::corrupt_store,
                  "layer index: line " + std::to_string(number) + " is malformed");
    }
    ++entries;
    TRY(visit(entry));
  }
  return fail(Errc::corrupt_store, "layer index: truncated");
}

}  // namespace cairn::composefs
