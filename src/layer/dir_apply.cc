#include "layer/dir_apply.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/sys.h"

namespace cairn {
namespace {

constexpr size_t k_buffer_size = 1 << 20;
constexpr std::uint64_t k_beneath = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;

std::string join_real(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

bool is_missing(const Error& e) { return e.is_errno(ENOENT) || e.is_errno(ENOTDIR); }

bool has_nul(const std::string& s) { return s.find('\0') != std::string::npos; }

}  // namespace

DirApplier::DirApplier(Token, SafeRoot root) : m_root(std::move(root)) {}

Result<std::unique_ptr<DirApplier>> DirApplier::open(const std::string& rootfs_dir) {
  ASSIGN_OR_RETURN(SafeRoot root, SafeRoot::open(rootfs_dir));
  return std::make_unique<DirApplier>(Token{}, std::move(root));
}

Result<void> DirApplier::add(const TarEntry& entry, EntryData& data) {
  auto applied = [&]() -> Result<void> {
    ASSIGN_OR_RETURN(LayerPath lp, classify_layer_path(entry.path));
    switch (lp.op) {
      case PathOp::whiteout:
        return apply_whiteout(lp);
      case PathOp::opaque:
        return apply_opaque(lp);
      case PathOp::entry:
        break;
    }
    if (lp.is_root()) return apply_root(entry);
    return apply_entry(lp, entry, data);
  }();
  if (!applied) return fail(std::move(applied).error().wrap("layer entry " + entry.path));
  return {};
}

Result<void> DirApplier::finish() {
  for (const auto& [path, times] : m_dir_times) {
    auto fd = openat2_fd(m_root.fd(), path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, k_beneath);
    if (!fd) {
      if (is_missing(fd.error()) || fd.error().is_errno(ELOOP)) continue;
      return fail(std::move(fd).error());
    }
    const timespec ts[2] = {times.atime, times.mtime};
    if (::futimens(fd->get(), ts) != 0) return fail_errno(errno, "utimensat /" + path);
  }
  m_dir_times.clear();
  m_upper.clear();
  invalidate_cache();
  return {};
}

Result<SafeRoot::Dir> DirApplier::take_parent(const std::string& rel, Parent how) {
  if (m_cached_rel && *m_cached_rel == rel) {
    m_cached_rel.reset();
    return std::move(m_cached);
  }
  auto dir = how == Parent::create ? m_root.make_dir(rel)
                                   : m_root.open_dir(rel, SafeRoot::Escape::confine);
  if (!dir) return dir;
  TRY(remember_dir_times(*dir));
  return dir;
}

void DirApplier::keep_parent(const std::string& rel, SafeRoot::Dir dir,
                             std::uint64_t generation) {
  if (generation != m_generation) return;
  m_cached_rel = rel;
  m_cached = std::move(dir);
}

void DirApplier::invalidate_cache() {
  ++m_generation;
  m_cached_rel.reset();
  m_cached = SafeRoot::Dir{};
}

Result<void> DirApplier::remember_dir_times(const SafeRoot::Dir& dir) {
  if (m_dir_times.contains(dir.real)) return {};
  ASSIGN_OR_RETURN(struct stat st, sys::fstat(dir.fd.get(), "/" + dir.real));
  m_dir_times.emplace(dir.real, Times{st.st_atim, st.st_mtim});
  return {};
}

void DirApplier::mark_upper(std::string real) {
  while (!real.empty() && m_upper.insert(real).second) {
    size_t slash = real.rfind('/');
    if (slash == std::string::npos) break;
    real.resize(slash);
  }
}

Result<void> DirApplier::apply_root(const TarEntry& entry) {
  if (entry.type != EntryType::directory) {
    return fail(Errc::unsafe_path, "refusing to change the type of the root directory");
  }
  ASSIGN_OR_RETURN(UniqueFd fd, openat2_fd(m_root.fd(), ".", O_RDONLY | O_DIRECTORY, k_beneath));
  return apply_dir_metadata(fd.get(), "", entry, OldXattrs::clear_others);
}

Result<void> DirApplier::apply_whiteout(const LayerPath& lp) {
  // Not kept in the parent cache: it may have been reached through a
  // symlink that entries must not write through.
  auto parent = take_parent(lp.dir, Parent::existing_confined);
  if (!parent) return is_missing(parent.error()) ? Result<void>() : fail(std::move(parent).error());
  return prune_lower(parent->fd.get(), parent->real, lp.name);
}

Result<void> DirApplier::apply_opaque(const LayerPath& lp) {
  auto dir = take_parent(lp.dir, Parent::existing_confined);
  if (!dir) return is_missing(dir.error()) ? Result<void>() : fail(std::move(dir).error());
  ASSIGN_OR_RETURN(std::vector<std::string> names, list_dir(dir->fd.get(), "/" + dir->real));
  for (const std::string& name : names) TRY(prune_lower(dir->fd.get(), dir->real, name));
  return {};
}

// Removes DIR/NAME unless this layer created it; below a directory this
// layer created or wrote into, only the lower-layer children go.
Result<void> DirApplier::prune_lower(int dir_fd, const std::string& dir_real,
                                     const std::string& name) {
  std::string real = join_real(dir_real, name);
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return {};
    return fail_errno(errno, "stat /" + real);
  }
  if (!m_upper.contains(real)) {
    if (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)) invalidate_cache();
    return remove_entry_at(dir_fd, name);
  }
  if (!S_ISDIR(st.st_mode)) return {};
  ASSIGN_OR_RETURN(UniqueFd child,
                   sys::open_at(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  ASSIGN_OR_RETURN(std::vector<std::string> names, list_dir(child.get(), "/" + real));
  for (const std::string& n : names) TRY(prune_lower(child.get(), real, n));
  return {};
}

Result<void> DirApplier::apply_entry(const LayerPath& lp, const TarEntry& entry,
                                     EntryData& data) {
  ASSIGN_OR_RETURN(SafeRoot::Dir parent, take_parent(lp.dir, Parent::create));
  std::uint64_t generation = m_generation;
  TRY(create(parent, lp.name, entry, data));
  mark_upper(join_real(parent.real, lp.name));
  keep_parent(lp.dir, std::move(parent), generation);
  return {};
}

Result<void> DirApplier::create(const SafeRoot::Dir& parent, const std::string& name,
                                const TarEntry& entry, EntryData& data) {
  int dir_fd = parent.fd.get();
  switch (entry.type) {
    case EntryType::regular:
      return create_regular(dir_fd, name, entry, data);
    case EntryType::directory:
      return create_directory(parent, name, entry);
    case EntryType::hardlink:
      return create_hardlink(dir_fd, name, entry);
    case EntryType::symlink: {
      if (has_nul(entry.link_target)) return fail(Errc::bad_input, "NUL in symlink target");
      TRY(replacing(dir_fd, name, "symlink", [&] {
        return ::symlinkat(entry.link_target.c_str(), dir_fd, name.c_str());
      }));
      InodeRef ref = InodeRef::at(dir_fd, name);
      TRY(apply_owner_mode(ref, entry, Chmod::skip));
      TRY(apply_xattrs(ref, entry.xattrs, OldXattrs::none, &m_skipped_xattrs));
      return apply_times(ref, entry);
    }
    case EntryType::char_device:
    case EntryType::block_device:
    case EntryType::fifo:
      return create_special(dir_fd, name, entry);
  }
  return fail(Errc::unsupported, "entry type");
}

template <typename Make>
Result<void> DirApplier::replacing(int dir_fd, const std::string& name, const char* what,
                                   Make make) {
  if (make() == 0) return {};
  if (errno != EEXIST) return fail_errno(errno, std::string(what) + " " + name);
  TRY(clobber(dir_fd, name));
  if (make() == 0) return {};
  return fail_errno(errno, std::string(what) + " " + name);
}

Result<void> DirApplier::clobber(int dir_fd, const std::string& name) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};
    return fail_errno(errno, "stat " + name);
  }
  if (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)) invalidate_cache();
  return remove_entry_at(dir_fd, name);
}

Result<void> DirApplier::create_regular(int dir_fd, const std::string& name,
                                        const TarEntry& entry, EntryData& data) {
  int raw_fd = -1;
  TRY(replacing(dir_fd, name, "create", [&] {
    raw_fd = ::openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                      0600);
    return raw_fd < 0 ? -1 : 0;
  }));
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

Result<void> DirApplier::create_directory(const SafeRoot::Dir& parent, const std::string& name,
                                          const TarEntry& entry) {
  int dir_fd = parent.fd.get();
  OldXattrs old = OldXattrs::none;
  if (::mkdirat(dir_fd, name.c_str(), 0700) != 0) {
    if (errno != EEXIST) return fail_errno(errno, "mkdir " + name);
    struct stat st {};
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return fail_errno(errno, "stat " + name);
    }
    if (S_ISDIR(st.st_mode)) {
      old = OldXattrs::clear_others;
    } else {
      TRY(clobber(dir_fd, name));
      if (::mkdirat(dir_fd, name.c_str(), 0700) != 0) return fail_errno(errno, "mkdir " + name);
    }
  }
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open_at(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  return apply_dir_metadata(fd.get(), join_real(parent.real, name), entry, old);
}

Result<void> DirApplier::apply_dir_metadata(int fd, const std::string& real,
                                            const TarEntry& entry, OldXattrs old) {
  InodeRef ref = InodeRef::of_fd(fd);
  TRY(apply_owner_mode(ref, entry, Chmod::apply));
  TRY(apply_xattrs(ref, entry.xattrs, old, &m_skipped_xattrs));
  timespec mtime{static_cast<time_t>(entry.mtime_sec), static_cast<long>(entry.mtime_nsec)};
  m_dir_times.insert_or_assign(real, Times{mtime, mtime});
  return {};
}

Result<void> DirApplier::create_hardlink(int dir_fd, const std::string& name,
                                         const TarEntry& entry) {
  if (has_nul(entry.link_target)) return fail(Errc::bad_input, "NUL in hardlink target");
  ASSIGN_OR_RETURN(std::string target, normalize_layer_path(entry.link_target));
  if (target.empty()) return fail(Errc::bad_input, "hardlink to the root directory");
  auto [target_dir, target_name] = split_layer_path(target);
  auto from = m_root.open_dir(std::string(target_dir));
  if (!from && is_missing(from.error())) {
    return fail(Errc::bad_input, "hardlink target /" + target + " is not in the rootfs");
  }
  if (!from) return fail(std::move(from).error().wrap("hardlink target /" + target));
  std::string from_name(target_name);
  auto linked = replacing(dir_fd, name, "link", [&] {
    return ::linkat(from->fd.get(), from_name.c_str(), dir_fd, name.c_str(), 0);
  });
  if (!linked && linked.error().is_errno(ENOENT)) {
    return fail(Errc::bad_input, "hardlink target /" + target + " is not in the rootfs");
  }
  return linked;
}

Result<void> DirApplier::create_special(int dir_fd, const std::string& name,
                                        const TarEntry& entry) {
  mode_t type = S_IFIFO;
  dev_t dev = 0;
  if (entry.type != EntryType::fifo) {
    type = entry.type == EntryType::char_device ? S_IFCHR : S_IFBLK;
    dev = makedev(entry.dev_major, entry.dev_minor);
  }
  TRY(replacing(dir_fd, name, "mknod",
                [&] { return ::mknodat(dir_fd, name.c_str(), type | 0600, dev); }));
  InodeRef ref = InodeRef::at(dir_fd, name);
  TRY(apply_owner_mode(ref, entry, Chmod::apply));
  TRY(apply_xattrs(ref, entry.xattrs, OldXattrs::none, &m_skipped_xattrs));
  return apply_times(ref, entry);
}

}  // namespace cairn
