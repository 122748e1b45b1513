// An index of the members of a seekable tar archive, built by reading only
// its headers, so that members can be read in place (pread over a shared
// descriptor) without extracting or copying the archive.
//
// Understands ustar (with prefix), pax 'x' records (path, linkpath, size),
// GNU 'L'/'K' long names; 'g' global headers are skipped. Member names are
// normalized ("./a//b/" -> "a/b"); a name whose ".." would climb above the
// archive root, a member whose data runs past the end of the file, a bad
// header checksum or a header cut short are Errc::bad_input. A missing
// end-of-archive marker is accepted. A later member of the same name
// replaces an earlier one, as tar extraction would.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "util/error.h"
#include "util/reader.h"
#include "util/unique_fd.h"

namespace cairn {

class TarIndex {
 public:
  enum class MemberType { regular, directory, symlink, hardlink, other };

  struct Member {
    std::string name;  // normalized
    MemberType type = MemberType::other;
    std::uint64_t offset = 0;  // of the data in the archive file
    std::uint64_t size = 0;    // 0 for header-only types
    std::string link;          // symlink target / hardlink source, as written
  };

  // Links followed by find() before it gives up.
  static constexpr int k_max_link_hops = 16;

  // Opens and indexes the archive file at path.
  static Result<TarIndex> open(const std::string& path);
  // Indexes an open archive; `name` names it in errors and reader names.
  static Result<TarIndex> build(std::shared_ptr<UniqueFd> fd, std::string name);

  // The regular-file member at path, following symlinks (relative to the
  // link's directory, or to the archive root when absolute) and hardlinks.
  // Errc::not_found if absent; Errc::bad_input for a link loop, a target
  // outside the archive, or a member that is not a regular file.
  Result<const Member*> find(std::string_view path) const;
  // Whether a member of that name exists (links not followed).
  bool contains(std::string_view path) const;

  // A fresh reader of the data of the member found by find(path).
  Result<std::unique_ptr<Reader>> open_member(std::string_view path) const;
  Result<std::unique_ptr<Reader>> open_member(const Member& member) const;
  // The whole member, failing with Errc::bad_input above max_size.
  Result<std::string> read_member(std::string_view path, size_t max_size) const;

  const std::vector<Member>& members() const { return m_members; }
  const std::string& name() const { return m_name; }

 private:
  TarIndex(std::shared_ptr<UniqueFd> fd, std::string name)
      : m_fd(std::move(fd)), m_name(std::move(name)) {}
  void add(Member member);

  std::shared_ptr<UniqueFd> m_fd;
  std::string m_name;
  std::vector<Member> m_members;
  std::unordered_map<std::string, size_t> m_by_name;
};

// Normalizes a '/'-separated archive path: drops empty and "." components
// and a leading '/', applies ".." lexically. Errc::bad_input if ".." climbs
// above the root. The root itself is "".
Result<std::string> normalize_archive_path(std::string_view path);

}  // namespace cairn
