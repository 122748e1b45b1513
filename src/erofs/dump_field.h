// How mkcomposefs (containers/composefs v1.0.8) reads the fields of a dump
// line, so that the dump reader accepts and refuses exactly what it does
// (erofs/dump_reader.h lists where cairn deliberately differs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/error.h"

namespace cairn::erofs {

// Unescapes one dump field: \\ \n \r \t and \xHH; any other escape, or a
// backslash at the end, is Errc::bad_input.
Result<std::string> unescape_dump_field(std::string_view field);

// A number as C's strtoull reads it in `base` (8 or 10): optional leading
// white space and sign, then at least one digit, and nothing after them.
// A magnitude past 64 bits reads as UINT64_MAX; "-N" reads as 2^64 - N (so a
// negative mtime comes back by casting to int64_t). Errc::bad_input naming
// `what` otherwise.
Result<std::uint64_t> parse_dump_number(std::string_view text, int base, const char* what);

// mkcomposefs hands paths, payloads and xattr names on as C strings: they
// end at their first NUL byte (CONTENT and xattr values keep theirs).
void cut_at_nul(std::string& value);

// mkcomposefs's space budget for the xattrs of one dump entry: each takes 7
// bytes plus its name and value, the first 12 more, and all together at most
// 32767 (LCFS_INODE_EXTERNAL_XATTR_MAX); replacing a key gives its old share
// back first.
class XattrBudget {
 public:
  // Accounts for setting a name of `name_size` bytes to a value of
  // `value_size`, where `old_value_size` is the value it replaces, if any.
  // Errc::bad_input when the entry's xattrs would exceed the budget.
  Result<void> set(std::size_t name_size, std::optional<std::size_t> old_value_size,
                   std::size_t value_size);

 private:
  std::size_t m_count = 0;
  std::size_t m_used = 0;
};

}  // namespace cairn::erofs
