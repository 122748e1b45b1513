// Tar header scanning.
//
// A tar archive is a sequence of 512-byte headers, each followed by its
// data padded to a multiple of 512, ended by zero blocks. Extension headers
// describe the *next* header: pax 'x' carries "LEN key=value\n" records
// (path, linkpath and size override the ustar fields), GNU 'L' / 'K' carry
// the long name / link target as their data. We read only headers and the
// small extension payloads, and record where each member's data lives.
// Numbers are octal text, or GNU base-256 when the first byte has the high
// bit set. Header-only types (links, directories, devices, fifos) carry no
// data whatever their size field says.
#include "source/tar_index.h"

#include <fcntl.h>

#include <array>
#include <cstring>
#include <optional>

#include "util/sys.h"

namespace cairn {
namespace {

constexpr std::uint64_t k_block = 512;
constexpr std::uint64_t k_max_extension = 1 << 20;

using Block = std::array<unsigned char, k_block>;

std::string field_string(const Block& b, size_t off, size_t len) {
  const char* p = reinterpret_cast<const char*>(b.data()) + off;
  return std::string(p, strnlen(p, len));
}

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

bool header_only(char type) {
  return type == '1' || type == '2' || type == '3' || type == '4' || type == '5' || type == '6';
}

TarIndex::MemberType member_type(char type) {
  switch (type) {
    case '0': case '\0': case '7': return TarIndex::MemberType::regular;
    case '1': return TarIndex::MemberType::hardlink;
    case '2': return TarIndex::MemberType::symlink;
    case '5': return TarIndex::MemberType::directory;
    default: return TarIndex::MemberType::other;
  }
}

// Overrides collected from extension headers for the next member.
struct Pending {
  std::optional<std::string> path;
  std::optional<std::string> link;
  std::optional<std::uint64_t> size;
};

// Applies the records of a pax extended header to `pending`.
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
    if (key == "path") pending.path = std::string(value);
    if (key == "linkpath") pending.link = std::string(value);
    if (key == "size") {
      if (value.empty() || value.size() > 20) return fail(Errc::bad_input, what + ": bad pax size");
      std::uint64_t v = 0;
      for (char c : value) {
        if (c < '0' || c > '9') return fail(Errc::bad_input, what + ": bad pax size");
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
      }
      pending.size = v;
    }
  }
  return {};
}

class Scanner {
 public:
  Scanner(int fd, std::uint64_t file_size, const std::string& name)
      : m_fd(fd), m_file_size(file_size), m_name(name) {}

  // Reads the header at m_pos; nullopt at the end of the archive.
  Result<std::optional<TarIndex::Member>> next();

 private:
  Result<std::string> read_extension(std::uint64_t offset, std::uint64_t size);
  Result<std::optional<TarIndex::Member>> finish_member(const Block& b, std::uint64_t offset,
                                                        std::uint64_t size);

  int m_fd;
  std::uint64_t m_file_size;
  const std::string& m_name;
  std::uint64_t m_pos = 0;
  Pending m_pending;
};

Result<std::string> Scanner::read_extension(std::uint64_t offset, std::uint64_t size) {
  if (size > k_max_extension) return fail(Errc::bad_input, m_name + ": oversized extension header");
  std::string data(size, '\0');
  ASSIGN_OR_RETURN(size_t n, sys::pread_full(m_fd, std::as_writable_bytes(std::span(data)),
                                             static_cast<off_t>(offset), m_name));
  if (n != size) return fail(Errc::bad_input, m_name + ": truncated");
  return data;
}

Result<std::optional<TarIndex::Member>> Scanner::next() {
  for (;;) {
    if (m_pos == m_file_size) return std::nullopt;  // no end marker: accepted
    Block b;
    ASSIGN_OR_RETURN(size_t n, sys::pread_full(m_fd, std::as_writable_bytes(std::span(b)),
                                               static_cast<off_t>(m_pos), m_name));
    std::string where = m_name + " at offset " + std::to_string(m_pos);
    if (n != k_block) return fail(Errc::bad_input, where + ": truncated header");
    if (all_zero(b)) return std::nullopt;
    if (!checksum_ok(b)) return fail(Errc::bad_input, where + ": bad header checksum");
    auto size = parse_number(b, 124, 12);
    if (!size) return fail(Errc::bad_input, where + ": bad size field");
    char type = static_cast<char>(b[156]);
    bool extension = type == 'x' || type == 'g' || type == 'L' || type == 'K';
    if (m_pending.size && !extension) size = m_pending.size;
    std::uint64_t data_size = header_only(type) ? 0 : *size;
    std::uint64_t data_offset = m_pos + k_block;
    if (data_size > m_file_size - data_offset) {
      return fail(Errc::bad_input, where + ": member data runs past the end of the archive");
    }
    m_pos = data_offset + (data_size + k_block - 1) / k_block * k_block;
    if (m_pos > m_file_size) m_pos = m_file_size;
    if (type == 'g') continue;
    if (extension) {
      ASSIGN_OR_RETURN(std::string data, read_extension(data_offset, data_size));
      if (type == 'x') TRY(apply_pax(data, m_pending, where));
      std::string text(data.c_str());  // GNU long names are NUL-terminated
      if (type == 'L') m_pending.path = std::move(text);
      if (type == 'K') m_pending.link = std::move(text);
      continue;
    }
    return finish_member(b, data_offset, data_size);
  }
}

Result<std::optional<TarIndex::Member>> Scanner::finish_member(const Block& b,
                                                               std::uint64_t offset,
                                                               std::uint64_t size) {
  char type = static_cast<char>(b[156]);
  std::string name = field_string(b, 0, 100);
  if (std::memcmp(b.data() + 257, "ustar\0", 6) == 0) {
    std::string prefix = field_string(b, 345, 155);
    if (!prefix.empty()) name = prefix + "/" + name;
  }
  TarIndex::Member m;
  m.name = m_pending.path.value_or(name);
  m.link = m_pending.link.value_or(field_string(b, 157, 100));
  m.type = member_type(type);
  m.offset = offset;
  m.size = size;
  m_pending = Pending{};
  auto normalized = normalize_archive_path(m.name);
  if (!normalized) return fail(std::move(normalized.error()).wrap(m_name));
  m.name = std::move(*normalized);
  return m;
}

}  // namespace

Result<std::string> normalize_archive_path(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(pos, slash - pos);
    pos = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) {
        return fail(Errc::bad_input, "path \"" + std::string(path.substr(0, 256)) +
                                         "\" leaves the archive");
      }
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  for (std::string_view part : parts) {
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

Result<TarIndex> TarIndex::open(const std::string& path) {
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open(path, O_RDONLY | O_NONBLOCK));
  return build(std::make_shared<UniqueFd>(std::move(fd)), path);
}

Result<TarIndex> TarIndex::build(std::shared_ptr<UniqueFd> fd, std::string name) {
  ASSIGN_OR_RETURN(struct stat st, sys::fstat(fd->get(), name));
  if (!S_ISREG(st.st_mode)) return fail(Errc::bad_input, name + ": not a regular file");
  TarIndex index(std::move(fd), std::move(name));
  Scanner scanner(index.m_fd->get(), static_cast<std::uint64_t>(st.st_size), index.m_name);
  for (;;) {
    ASSIGN_OR_RETURN(std::optional<Member> member, scanner.next());
    if (!member) break;
    if (!member->name.empty()) index.add(std::move(*member));
  }
  return index;
}

void TarIndex::add(Member member) {
  auto [it, inserted] = m_by_name.try_emplace(member.name, m_members.size());
  if (!inserted) it->second = m_members.size();
  m_members.push_back(std::move(member));
}

bool TarIndex::contains(std::string_view path) const {
  auto name = normalize_archive_path(path);
  return name && m_by_name.contains(*name);
}

Result<const TarIndex::Member*> TarIndex::find(std::string_view path) const {
  auto normalized = normalize_archive_path(path);
  if (!normalized) return fail(std::move(normalized.error()).wrap(m_name));
  std::string name = std::move(*normalized);
  for (int hop = 0; hop <= k_max_link_hops; ++hop) {
    auto it = m_by_name.find(name);
    if (it == m_by_name.end()) return fail(Errc::not_found, m_name + ": no member " + name);
    const Member& m = m_members[it->second];
    std::string next;
    switch (m.type) {
      case MemberType::regular: return &m;
      case MemberType::symlink:
        next = m.link.starts_with('/') ? m.link : sys::dirname(m.name) + "/" + m.link;
        break;
      case MemberType::hardlink: next = m.link; break;
      default: return fail(Errc::bad_input, m_name + ": member " + name + " is not a regular file");
    }
    auto target = normalize_archive_path(next);
    if (!target) return fail(std::move(target.error()).wrap(m_name + ": link " + name));
    name = std::move(*target);
  }
  return fail(Errc::bad_input, m_name + ": too many links resolving " + std::string(path));
}

Result<std::unique_ptr<Reader>> TarIndex::open_member(const Member& member) const {
  return std::make_unique<FileRangeReader>(m_fd, m_name + ":" + member.name, member.offset,
                                           member.size);
}

Result<std::unique_ptr<Reader>> TarIndex::open_member(std::string_view path) const {
  ASSIGN_OR_RETURN(const Member* member, find(path));
  return open_member(*member);
}

Result<std::string> TarIndex::read_member(std::string_view path, size_t max_size) const {
  ASSIGN_OR_RETURN(const Member* member, find(path));
  if (member->size > max_size) {
    return fail(Errc::bad_input, m_name + ":" + member->name + ": larger than " +
                                     std::to_string(max_size) + " bytes");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader, open_member(*member));
  return read_all(*reader, max_size);
}

}  // namespace cairn
