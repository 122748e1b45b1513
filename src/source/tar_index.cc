// Tar header scanning over a seekable file: only headers and the small
// extension payloads are read (format notes: util/tar_header.h); each
// member's data offset is recorded.
#include "source/tar_index.h"

#include <fcntl.h>

#include <array>
#include <cstring>
#include <optional>

#include "util/lexical_path.h"
#include "util/sys.h"
#include "util/tar_header.h"

namespace cairn {
namespace {

using namespace tar_header;

TarIndex::MemberType member_type(Kind kind) {
  switch (kind) {
    case Kind::regular: return TarIndex::MemberType::regular;
    case Kind::directory: return TarIndex::MemberType::directory;
    case Kind::symlink: return TarIndex::MemberType::symlink;
    case Kind::hardlink: return TarIndex::MemberType::hardlink;
    case Kind::other: break;
  }
  return TarIndex::MemberType::other;
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
    char type = type_flag(b);
    bool extension = is_extension(type);
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
      TRY(apply_extension(type, data, m_pending, where));
      continue;
    }
    return finish_member(b, data_offset, data_size);
  }
}

Result<std::optional<TarIndex::Member>> Scanner::finish_member(const Block& b, std::uint64_t offset,
                                                               std::uint64_t size) {
  TarIndex::Member m;
  m.name = member_name(b, m_pending);
  m.link = member_link(b, m_pending);
  m.type = member_type(kind_of(type_flag(b)));
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
  std::optional<std::string> clean = clean_relative_path(path);
  if (!clean) {
    return fail(Errc::bad_input,
                "path \"" + std::string(path.substr(0, 256)) + "\" leaves the archive");
  }
  return std::move(*clean);
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
