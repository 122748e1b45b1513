#include "util/tar_header.h"

#include <cstring>

namespace cairn::tar_header {
namespace {

std::string field_string(const Block& b, size_t off, size_t len) {
  const char* p = reinterpret_cast<const char*>(b.data()) + off;
  return std::string(p, strnlen(p, len));
}

Result<std::uint64_t> parse_decimal(std::string_view value, const std::string& what) {
  if (value.empty() || value.size() > 19) return fail(Errc::bad_input, what + ": bad pax size");
  std::uint64_t v = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return fail(Errc::bad_input, what + ": bad pax size");
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

// "-1.5": libarchive gives -1 s + 0.5 s, not -2 s + 0.5 s (doc/layer-semantics.md).
bool negative_with_fraction(std::string_view value) {
  if (!value.starts_with('-')) return false;
  size_t dot = value.find('.');
  return dot != std::string_view::npos &&
         value.find_first_not_of('0', dot + 1) != std::string_view::npos;
}

}  // namespace

std::optional<std::uint64_t> parse_number(const Block& b, size_t off, size_t len) {
  std::uint64_t v = 0;
  if (b[off] & 0x80) {
    if (b[off] == 0xff) return std::nullopt;  // negative
    v = b[off] & 0x7f;
    for (size_t i = 1; i < len; ++i) {
      if (v >> 56) return std::nullopt;
      v = (v << 8) | b[off + i];
    }
    return v;
  }
  size_t i = 0;
  while (i < len && (b[off + i] == ' ' || b[off + i] == 0)) ++i;
  for (; i < len && b[off + i] >= '0' && b[off + i] <= '7'; ++i) {
    if (v >> 60) return std::nullopt;
    v = v * 8 + (b[off + i] - '0');
  }
  for (; i < len; ++i) {
    if (b[off + i] != ' ' && b[off + i] != 0) return std::nullopt;
  }
  return v;
}

bool checksum_ok(const Block& b) {
  auto stored = parse_number(b, 148, 8);
  if (!stored) return false;
  std::uint64_t unsigned_sum = 0;
  std::int64_t signed_sum = 0;
  for (size_t i = 0; i < k_block; ++i) {
    unsigned char c = (i >= 148 && i < 156) ? ' ' : b[i];
    unsigned_sum += c;
    signed_sum += static_cast<signed char>(c);
  }
  return *stored == unsigned_sum || static_cast<std::int64_t>(*stored) == signed_sum;
}

bool all_zero(const Block& b) {
  for (unsigned char c : b) {
    if (c != 0) return false;
  }
  return true;
}

char type_flag(const Block& b) {
  return static_cast<char>(b[156]);
}

bool is_extension(char type) {
  return type == 'x' || type == 'g' || type == 'L' || type == 'K';
}

bool header_only(char type) {
  return type == '1' || type == '2' || type == '3' || type == '4' || type == '5' || type == '6';
}

Kind kind_of(char type) {
  switch (type) {
    case '0':
    case '\0':
    case '7': return Kind::regular;
    case '1': return Kind::hardlink;
    case '2': return Kind::symlink;
    case '5': return Kind::directory;
    default: return Kind::other;
  }
}

Result<void> apply_pax(std::string_view data, Pending& pending, const std::string& what) {
  while (!data.empty()) {
    size_t space = data.find(' ');
    std::uint64_t len = 0;
    bool ok = space != std::string_view::npos && space > 0;
    for (size_t i = 0; ok && i < space; ++i) {
      ok = data[i] >= '0' && data[i] <= '9' && len < k_max_extension;
      len = len * 10 + static_cast<std::uint64_t>(data[i] - '0');
    }
    ok = ok && len > space + 1 && len <= data.size() && data[len - 1] == '\n';
    if (!ok) return fail(Errc::bad_input, what + ": malformed pax header");
    std::string_view record = data.substr(space + 1, len - space - 2);
    data.remove_prefix(len);
    size_t eq = record.find('=');
    if (eq == std::string_view::npos) return fail(Errc::bad_input, what + ": malformed pax record");
    std::string_view key = record.substr(0, eq), value = record.substr(eq + 1);
    if (key.empty() || key.find('\0') != std::string_view::npos) {
      return fail(Errc::bad_input, what + ": pax record with an empty key or a NUL in its key");
    }
    // POSIX: an empty value deletes the keyword, so the ustar field counts again.
    if (value.empty()) {
      if (key == "path") pending.path.reset();
      if (key == "linkpath") pending.link.reset();
      if (key == "size") pending.size.reset();
      if (auto it = pending.records.find(key); it != pending.records.end())
        pending.records.erase(it);
      continue;
    }
    if ((key == "path" || key == "linkpath") && value.find('\0') != std::string_view::npos) {
      return fail(Errc::bad_input, what + ": pax " + std::string(key) +
                                       " holds a NUL byte (the name would be cut short)");
    }
    if (key == "mtime" && negative_with_fraction(value)) {
      return fail(Errc::bad_input, what + ": pax mtime " + std::string(value) +
                                       " is negative with a fraction, which libarchive reads "
                                       "without the fraction's sign");
    }
    if (key == "path") pending.path = std::string(value);
    if (key == "linkpath") pending.link = std::string(value);
    if (key == "size") {
      ASSIGN_OR_RETURN(pending.size, parse_decimal(value, what));
    }
    if (key != "path" && key != "linkpath" && key != "size") {
      pending.records.insert_or_assign(std::string(key), std::string(value));
    }
  }
  return {};
}

Result<void> apply_extension(char type, const std::string& data, Pending& pending,
                             const std::string& what) {
  if (type == 'x') TRY(apply_pax(data, pending, what));
  std::string text(data.c_str());  // GNU long names are NUL-terminated
  if (type == 'L') pending.path = std::move(text);
  if (type == 'K') pending.link = std::move(text);
  return {};
}

std::string member_name(const Block& b, const Pending& pending) {
  if (pending.path) return *pending.path;
  std::string name = field_string(b, 0, 100);
  if (std::memcmp(b.data() + 257, "ustar\0", 6) == 0) {
    std::string prefix = field_string(b, 345, 155);
    if (!prefix.empty()) name = prefix + "/" + name;
  }
  return name;
}

std::string member_link(const Block& b, const Pending& pending) {
  return pending.link.value_or(field_string(b, 157, 100));
}

namespace {

void put_octal(Block& b, size_t off, size_t len, std::uint64_t value) {
  // LEN - 1 digits and a NUL.
  for (size_t i = len - 1; i-- > 0;) {
    b[off + i] = static_cast<unsigned char>('0' + (value & 7));
    value >>= 3;
  }
  b[off + len - 1] = 0;
}

}  // namespace

std::optional<Block> file_header(std::string_view name, std::uint64_t size) {
  if (name.empty() || name.size() > 100) return std::nullopt;
  Block b{};
  std::memcpy(b.data(), name.data(), name.size());
  put_octal(b, 100, 8, 0644);
  put_octal(b, 108, 8, 0);
  put_octal(b, 116, 8, 0);
  if (size < (std::uint64_t{1} << 33)) {
    put_octal(b, 124, 12, size);
  } else {
    b[124] = 0x80;
    for (size_t i = 0; i < 8; ++i) b[135 - i] = static_cast<unsigned char>(size >> (8 * i));
  }
  put_octal(b, 136, 12, 0);
  b[156] = '0';
  std::memcpy(b.data() + 257,
              "ustar\0"
              "00",
              8);
  std::memset(b.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : b) sum += c;
  put_octal(b, 148, 7, sum);
  b[155] = ' ';
  return b;
}

}  // namespace cairn::tar_header
