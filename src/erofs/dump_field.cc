#include "erofs/dump_field.h"

#include <limits>

namespace cairn::erofs {
namespace {

constexpr std::size_t k_xattr_entry_overhead = 7;  // 2 * LCFS_INODE_XATTRMETA_SIZE - 1
constexpr std::size_t k_xattr_header = 12;         // LCFS_XATTR_HEADER_SIZE
constexpr std::size_t k_xattr_budget = 32767;      // LCFS_INODE_EXTERNAL_XATTR_MAX

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// isspace() in the C locale; ' ' and '\n' cannot occur inside a field.
bool is_c_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

}  // namespace

Result<std::string> unescape_dump_field(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    char c = field[i];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i >= field.size()) return fail(Errc::bad_input, "no character after escape");
    switch (field[i]) {
      case '\\': out.push_back('\\'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'x': {
        int hi = i + 1 < field.size() ? hex_digit(field[i + 1]) : -1;
        int lo = i + 2 < field.size() ? hex_digit(field[i + 2]) : -1;
        if (hi < 0 || lo < 0) return fail(Errc::bad_input, "invalid hex escape");
        out.push_back(static_cast<char>(hi << 4 | lo));
        i += 2;
        break;
      }
      default: return fail(Errc::bad_input, std::string("unsupported escape \\") + field[i]);
    }
  }
  return out;
}

Result<std::uint64_t> parse_dump_number(std::string_view text, int base, const char* what) {
  size_t i = 0;
  while (i < text.size() && is_c_space(text[i])) ++i;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  constexpr std::uint64_t k_max = std::numeric_limits<std::uint64_t>::max();
  const auto radix = static_cast<std::uint64_t>(base);
  std::uint64_t value = 0;
  bool overflow = false;
  size_t digits = i;
  for (; i < text.size(); ++i) {
    int digit = text[i] >= '0' && text[i] <= '9' ? text[i] - '0' : -1;
    if (digit < 0 || digit >= base) break;
    const auto d = static_cast<std::uint64_t>(digit);
    if (value > (k_max - d) / radix) overflow = true;
    value = value * radix + d;
  }
  if (i == digits || i != text.size()) {
    return fail(Errc::bad_input, std::string("invalid ") + what + " " + std::string(text));
  }
  if (overflow) return k_max;
  return negative ? 0 - value : value;
}

void cut_at_nul(std::string& value) {
  if (size_t nul = value.find('\0'); nul != std::string::npos) value.resize(nul);
}

Result<void> XattrBudget::set(std::size_t name_size, std::optional<std::size_t> old_value_size,
                              std::size_t value_size) {
  if (old_value_size) {
    --m_count;
    m_used = m_count == 0 ? 0 : m_used - (k_xattr_entry_overhead + name_size + *old_value_size);
  }
  std::size_t entry = k_xattr_entry_overhead + name_size + value_size;
  if (m_count == 0) entry += k_xattr_header;
  if (m_used + entry > k_xattr_budget) {
    return fail(Errc::bad_input, "the entry's xattrs exceed the " + std::to_string(k_xattr_budget) +
                                     " bytes mkcomposefs allows");
  }
  ++m_count;
  m_used += entry;
  return {};
}

}  // namespace cairn::erofs
