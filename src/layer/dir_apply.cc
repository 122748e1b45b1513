#include "layer/dir_apply.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "layer/oci_path.h"
#include "util/fd_tree.h"
#include "util/split.h"
#include "util/sys.h"

namespace cairn {
namespace {

constexpr size_t k_buffer_size = 1 << 20;

bool has_nul(const std::string& s) {
  return s.find('\0') != std::string::npos;
}

LayerEntryKind kind_of(EntryType type) {
  switch (type) {
    case EntryType::directory: return LayerEntryKind::directory;
    case EntryType::hardlink: return LayerEntryKind::hardlink;
    default: return LayerEntryKind::other;
  }
}

Result<std::string> read_link_at(int dir_fd, const std::string& name, const std::string& what) {
  std::vector<char> buf(PATH_MAX + 1);
  for (;;) {
    ssize_t n = ::readlinkat(dir_fd, name.c_str(), buf.data(), buf.size());
    if (n < 0) return fail_errno(errno, "readlink " + what);
    if (static_cast<size_t>(n) < buf.size()) return std::string(buf.data(), static_cast<size_t>(n));
    buf.resize(buf.size() * 2);
  }
}

}  // namespace

DirApplier::DirApplier(Token, UniqueFd root, std::string path)
    : m_root(std::move(root)), m_path(std::move(path)), m_engine(*this) {}

Result<std::unique_ptr<DirApplier>> DirApplier::open(const std::string& rootfs_dir) {
  ASSIGN_OR_RETURN(UniqueFd root, sys::open(rootfs_dir, O_PATH | O_DIRECTORY));
  return std::make_unique<DirApplier>(Token{}, std::move(root), rootfs_dir);
}

Result<void> DirApplier::add(const TarEntry& entry, EntryData& data) {
  auto applied = apply(entry, data);
  if (!applied) return fail(std::move(applied).error().wrap("layer entry " + entry.path));
  return {};
}

Result<void> DirApplier::apply(const TarEntry& entry, EntryData& data) {
  ASSIGN_OR_RETURN(LayerPath lp, classify_layer_path(entry.path));
  switch (lp.op) {
    case PathOp::whiteout: return m_engine.whiteout(lp.dir, lp.name);
    case PathOp::opaque: return m_engine.opaque(lp.dir);
    case PathOp::entry: break;
  }
  std::string link_target;
  if (entry.type == EntryType::hardlink || entry.type == EntryType::symlink) {
    if (has_nul(entry.link_target)) return fail(Errc::bad_input, "NUL in link target");
  }
  if (entry.type == EntryType::hardlink) {
    ASSIGN_OR_RETURN(link_target, normalize_layer_path(entry.link_target));
  }
  ASSIGN_OR_RETURN(Placement at, m_engine.place(lp.dir, lp.name, kind_of(entry.type), link_target));
  return create(at, entry, data);
}

Result<void> DirApplier::finish() {
  for (const auto& [real, times] : m_dir_times) {
    const timespec ts[2] = {times.atime, times.mtime};
    if (real.empty()) {
      ASSIGN_OR_RETURN(UniqueFd fd, sys::open_at(m_root.get(), ".", O_RDONLY | O_DIRECTORY));
      if (::futimens(fd.get(), ts) != 0) return fail_errno(errno, "utimensat /");
      continue;
    }
    // A directory gone or replaced since its times were remembered is skipped.
    auto parent = dir_fd(layer_path_parent(real));
    if (!parent) continue;
    std::string name = layer_path_name(real);
    struct stat st {};
    if (::fstatat(*parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      return fail_errno(errno, "stat /" + real);
    }
    if (!S_ISDIR(st.st_mode)) continue;
    if (::utimensat(*parent, name.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) {
      return fail_errno(errno, "utimensat /" + real);
    }
  }
  m_dir_times.clear();
  m_walk.clear();
  return {};
}

Result<int> DirApplier::dir_fd(const std::string& real) {
  std::vector<std::string_view> names;
  if (!real.empty()) names = split(real, '/');
  size_t keep = 0;
  while (keep < m_walk.size() && keep < names.size() && m_walk[keep].name == names[keep]) ++keep;
  m_walk.erase(m_walk.begin() + static_cast<std::ptrdiff_t>(keep), m_walk.end());
  for (size_t i = keep; i < names.size(); ++i) {
    std::string name(names[i]);
    if (name.empty() || name == "." || name == "..") {
      return fail(Errc::unsafe_path, "not a real path: /" + real);
    }
    int parent = m_walk.empty() ? m_root.get() : m_walk.back().fd.get();
    int fd = ::openat(parent, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return fail_errno(errno, "open directory /" + real);
    m_walk.push_back({std::move(name), UniqueFd(fd)});
  }
  return m_walk.empty() ? m_root.get() : m_walk.back().fd.get();
}

Result<int> DirApplier::changing_parent(const std::string& real) {
  std::string parent = layer_path_parent(real);
  ASSIGN_OR_RETURN(int fd, dir_fd(parent));
  TRY(remember_dir_times(fd, parent));
  return fd;
}

Result<void> DirApplier::remember_dir_times(int fd, const std::string& real) {
  if (m_dir_times.contains(real)) return {};
  ASSIGN_OR_RETURN(struct stat st, sys::fstat(fd, "/" + real));
  m_dir_times.emplace(real, Times{st.st_atim, st.st_mtim});
  return {};
}

Result<TargetNode> DirApplier::look(const std::string& real) {
  if (real.empty()) return TargetNode{NodeType::directory, ""};
  ASSIGN_OR_RETURN(int parent, dir_fd(layer_path_parent(real)));
  std::string name = layer_path_name(real);
  struct stat st {};
  if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return TargetNode{};
    return fail_errno(errno, "stat /" + real);
  }
  if (S_ISDIR(st.st_mode)) return TargetNode{NodeType::directory, ""};
  if (!S_ISLNK(st.st_mode)) return TargetNode{NodeType::other, ""};
  ASSIGN_OR_RETURN(std::string target, read_link_at(parent, name, "/" + real));
  return TargetNode{NodeType::symlink, std::move(target)};
}

Result<std::vector<std::string>> DirApplier::list(const std::string& real) {
  ASSIGN_OR_RETURN(int fd, dir_fd(real));
  return list_dir(fd, "/" + real);
}

Result<void> DirApplier::remove(const std::string& real) {
  ASSIGN_OR_RETURN(int parent, changing_parent(real));
  return remove_entry_at(parent, layer_path_name(real));
}

// Mode 0755 whatever the umask; setgid and friends the kernel inherited stay.
Result<void> DirApplier::make_dir(const std::string& real) {
  ASSIGN_OR_RETURN(int parent, changing_parent(real));
  std::string name = layer_path_name(real);
  if (::mkdirat(parent, name.c_str(), 0755) != 0) {
    return fail_errno(errno, "mkdir " + m_path + "/" + real);
  }
  struct stat st {};
  if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return fail_errno(errno, "stat /" + real);
  }
  if ((st.st_mode & 0777) == 0755) return {};
  if (::fchmodat(parent, name.c_str(), (st.st_mode & 07000) | 0755, 0) != 0) {
    return fail_errno(errno, "chmod /" + real);
  }
  return {};
}

Result<void> DirApplier::create(const Placement& at, const TarEntry& entry, EntryData& data) {
  switch (at.action) {
    case Placement::Action::update_dir: return update_dir(at.real, entry);
    case Placement::Action::link: return create_link(at);
    case Placement::Action::create: break;
  }
  ASSIGN_OR_RETURN(int parent, changing_parent(at.real));
  std::string name = layer_path_name(at.real);
  switch (entry.type) {
    case EntryType::regular: return create_regular(parent, name, entry, data);
    case EntryType::directory: return create_directory(parent, name, at.real, entry);
    case EntryType::symlink: return create_symlink(parent, name, entry);
    case EntryType::char_device:
    case EntryType::block_device:
    case EntryType::fifo: return create_special(parent, name, entry);
    case EntryType::hardlink: break;
  }
  return fail(Errc::unsupported, "entry type");
}

Result<void> DirApplier::create_regular(int dir_fd, const std::string& name, const TarEntry& entry,
                                        EntryData& data) {
  int raw_fd =
      ::openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (raw_fd < 0) return fail_errno(errno, "create " + name);
  UniqueFd fd(raw_fd);
  TRY(write_content(fd.get(), entry, data));
  InodeRef ref = InodeRef::of_fd(fd.get());
  TRY(apply_owner_mode(ref, entry, Chmod::apply));
  TRY(apply_xattrs(ref, entry.xattrs, OldXattrs::none, &m_skipped_xattrs));
  return apply_times(ref, entry);
}

// Copies the blocks at their offsets, gathering adjacent small blocks into
// one write; gaps stay holes, and a trailing hole is made by ftruncate.
Result<void> DirApplier::write_content(int fd, const TarEntry& entry, EntryData& data) {
  if (m_buffer.empty()) m_buffer.resize(k_buffer_size);
  std::uint64_t buf_offset = 0;
  size_t buf_len = 0;
  std::uint64_t end = 0;
  auto write_at = [&](std::span<const std::byte> bytes, std::uint64_t offset) -> Result<void> {
    TRY(sys::pwrite_all(fd, bytes, static_cast<off_t>(offset), entry.path));
    end = std::max(end, offset + bytes.size());
    return {};
  };
  for (;;) {
    ASSIGN_OR_RETURN(std::optional<DataBlock> block, data.next_block());
    if (!block) break;
    std::span<const std::byte> bytes = block->bytes;
    bool adjacent = block->offset == buf_offset + buf_len;
    if (buf_len > 0 && (!adjacent || buf_len + bytes.size() > m_buffer.size())) {
      TRY(write_at(std::span(m_buffer.data(), buf_len), buf_offset));
      buf_len = 0;
    }
    if (buf_len == 0 && bytes.size() >= m_buffer.size() / 2) {
      TRY(write_at(bytes, block->offset));
      continue;
    }
    if (buf_len == 0) buf_offset = block->offset;
    std::memcpy(m_buffer.data() + buf_len, bytes.data(), bytes.size());
    buf_len += bytes.size();
  }
  if (buf_len > 0) TRY(write_at(std::span(m_buffer.data(), buf_len), buf_offset));
  if (entry.size > end && ::ftruncate(fd, static_cast<off_t>(entry.size)) != 0) {
    return fail_errno(errno, "ftruncate " + entry.path);
  }
  return {};
}

Result<void> DirApplier::create_directory(int dir_fd, const std::string& name,
                                          const std::string& real, const TarEntry& entry) {
  if (::mkdirat(dir_fd, name.c_str(), 0700) != 0) return fail_errno(errno, "mkdir " + name);
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open_at(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  return apply_dir_metadata(fd.get(), real, entry, OldXattrs::none);
}

Result<void> DirApplier::update_dir(const std::string& real, const TarEntry& entry) {
  UniqueFd fd;
  if (real.empty()) {
    ASSIGN_OR_RETURN(fd, sys::open_at(m_root.get(), ".", O_RDONLY | O_DIRECTORY));
  } else {
    ASSIGN_OR_RETURN(int parent, dir_fd(layer_path_parent(real)));
    ASSIGN_OR_RETURN(
        fd, sys::open_at(parent, layer_path_name(real), O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  }
  return apply_dir_metadata(fd.get(), real, entry, OldXattrs::clear_others);
}

Result<void> DirApplier::apply_dir_metadata(int fd, const std::string& real, const TarEntry& entry,
                                            OldXattrs old) {
  InodeRef ref = InodeRef::of_fd(fd);
  TRY(apply_owner_mode(ref, entry, Chmod::apply));
  TRY(apply_xattrs(ref, entry.xattrs, old, &m_skipped_xattrs));
  timespec mtime{static_cast<time_t>(entry.mtime_sec), static_cast<long>(entry.mtime_nsec)};
  m_dir_times.insert_or_assign(real, Times{mtime, mtime});
  return {};
}

Result<void> DirApplier::create_symlink(int dir_fd, const std::string& name,
                                        const TarEntry& entry) {
  if (::symlinkat(entry.link_target.c_str(), dir_fd, name.c_str()) != 0) {
    return fail_errno(errno, "symlink " + name);
  }
  InodeRef ref = InodeRef::at(dir_fd, name);
  TRY(apply_owner_mode(ref, entry, Chmod::skip));
  TRY(apply_xattrs(ref, entry.xattrs, OldXattrs::none, &m_skipped_xattrs));
  return apply_times(ref, entry);
}

// The target's directory is held by a descriptor of its own: walking to the
// new name's directory may close the walk's.
Result<void> DirApplier::create_link(const Placement& at) {
  ASSIGN_OR_RETURN(int target_dir, dir_fd(layer_path_parent(at.link_real)));
  int dup = ::fcntl(target_dir, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return fail_errno(errno, "dup");
  UniqueFd from(dup);
  ASSIGN_OR_RETURN(int parent, changing_parent(at.real));
  std::string name = layer_path_name(at.real);
  if (::linkat(from.get(), layer_path_name(at.link_real).c_str(), parent, name.c_str(), 0) != 0) {
    return fail_errno(errno, "link /" + at.real + " to /" + at.link_real);
  }
  return {};
}

Result<void> DirApplier::create_special(int dir_fd, const std::string& name,
                                        const TarEntry& entry) {
  mode_t type = S_IFIFO;
  dev_t dev = 0;
  if (entry.type != EntryType::fifo) {
    type = entry.type == EntryType::char_device ? S_IFCHR : S_IFBLK;
    dev = makedev(entry.dev_major, entry.dev_minor);
  }
  if (::mknodat(dir_fd, name.c_str(), type | 0600, dev) != 0) {
    return fail_errno(errno, "mknod " + name);
  }
  InodeRef ref = InodeRef::at(dir_fd, name);
  TRY(apply_owner_mode(ref, entry, Chmod::apply));
  TRY(apply_xattrs(ref, entry.xattrs, OldXattrs::none, &m_skipped_xattrs));
  return apply_times(ref, entry);
}

}  // namespace cairn
