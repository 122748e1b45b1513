// Decoding of tar headers, shared by the seekable archive index
// (source/tar_index.h), the sequential save-stream walker
// (source/save_stream.h) and the tar-split recorder (layer/tar_split_recorder.h).
// Here in util/ because layer/ may not include source/.
//
// A tar archive is a sequence of 512-byte headers, each followed by its
// data padded to a multiple of 512, ended by zero blocks. Extension headers
// describe the *next* header: pax 'x' carries "LEN key=value\n" records
// (path, linkpath and size override the ustar fields), GNU 'L' / 'K' carry
// the long name / link target as their data; pax 'g' global headers are
// skipped. Numbers are octal text, or GNU base-256 when the first byte has
// the high bit set. Header-only types (links, directories, devices, fifos)
// carry no data whatever their size field says.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "util/error.h"

namespace cairn::tar_header {

inline constexpr std::uint64_t k_block = 512;
inline constexpr std::uint64_t k_max_extension = 1 << 20;

using Block = std::array<unsigned char, k_block>;

enum class Kind { regular, directory, symlink, hardlink, other };

// Overrides collected from extension headers for the next member.
struct Pending {
  std::optional<std::string> path;
  std::optional<std::string> link;
  std::optional<std::uint64_t> size;
  // The other pax records (uid, mtime, SCHILY.xattr.NAME, …), the last of
  // each key winning.
  std::map<std::string, std::string, std::less<>> records;
};

std::optional<std::uint64_t> parse_number(const Block& b, size_t off, size_t len);
bool checksum_ok(const Block& b);
bool all_zero(const Block& b);

char type_flag(const Block& b);
// 'x', 'g', 'L' or 'K'.
bool is_extension(char type);
bool header_only(char type);
Kind kind_of(char type);

// Applies the records of a pax extended header to `pending`; `what` names
// the header in errors. A malformed record (length, '=', newline), an empty
// key or a NUL in a key, a NUL in a path or linkpath (libarchive would cut
// the name there) and a negative mtime with a fraction (libarchive drops the
// fraction's sign) are Errc::bad_input; an empty value deletes the keyword
// (POSIX).
Result<void> apply_pax(std::string_view data, Pending& pending, const std::string& what);
// Applies the payload of an 'x', 'L' or 'K' header.
Result<void> apply_extension(char type, const std::string& data, Pending& pending,
                             const std::string& what);

// The member's name (ustar prefix joined, pax/GNU override) and link target,
// not normalized.
std::string member_name(const Block& b, const Pending& pending);
std::string member_link(const Block& b, const Pending& pending);

// A ustar header of a regular file NAME (at most 100 bytes, else nullopt)
// of SIZE bytes: mode 0644, owner 0:0, mtime 0; a SIZE above the 11 octal
// digits is written in GNU base-256.
std::optional<Block> file_header(std::string_view name, std::uint64_t size);

}  // namespace cairn::tar_header
