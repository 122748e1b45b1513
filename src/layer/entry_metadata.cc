#include "layer/entry_metadata.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "util/fd_tree.h"

namespace cairn {
namespace {

std::string describe(const InodeRef& ref) {
  return ref.by_fd() ? "fd " + std::to_string(ref.fd) : ref.name;
}

Result<std::vector<std::string>> list_xattrs(const InodeRef& ref) {
  std::string path = ref.by_fd() ? std::string() : proc_fd_path(ref.dir_fd, ref.name);
  std::string buf(256, '\0');
  for (;;) {
    ssize_t n = ref.by_fd() ? ::flistxattr(ref.fd, buf.data(), buf.size())
                            : ::llistxattr(path.c_str(), buf.data(), buf.size());
    if (n >= 0) {
      buf.resize(static_cast<size_t>(n));
      break;
    }
    if (errno == ENOTSUP) return std::vector<std::string>{};
    if (errno != ERANGE) return fail_errno(errno, "listxattr " + describe(ref));
    buf.resize(buf.size() * 4);
  }
  std::vector<std::string> names;
  for (size_t pos = 0; pos < buf.size();) {
    size_t end = buf.find('\0', pos);
    if (end == std::string::npos) end = buf.size();
    if (end > pos) names.push_back(buf.substr(pos, end - pos));
    pos = end + 1;
  }
  return names;
}

int set_one(const InodeRef& ref, const Xattr& x) {
  if (ref.by_fd()) return ::fsetxattr(ref.fd, x.name.c_str(), x.value.data(), x.value.size(), 0);
  std::string path = proc_fd_path(ref.dir_fd, ref.name);
  return ::lsetxattr(path.c_str(), x.name.c_str(), x.value.data(), x.value.size(), 0);
}

int remove_one(const InodeRef& ref, const std::string& name) {
  if (ref.by_fd()) return ::fremovexattr(ref.fd, name.c_str());
  std::string path = proc_fd_path(ref.dir_fd, ref.name);
  return ::lremovexattr(path.c_str(), name.c_str());
}

Result<void> clear_other_xattrs(const InodeRef& ref, const std::vector<Xattr>& keep) {
  ASSIGN_OR_RETURN(std::vector<std::string> names, list_xattrs(ref));
  for (const std::string& name : names) {
    if (is_host_xattr(name)) continue;
    bool kept =
        std::any_of(keep.begin(), keep.end(), [&](const Xattr& x) { return x.name == name; });
    if (kept) continue;
    if (remove_one(ref, name) != 0 && errno != ENODATA) {
      return fail_errno(errno, "removexattr " + name + " " + describe(ref));
    }
  }
  return {};
}

}  // namespace

bool is_host_xattr(std::string_view name) {
  return name == "security.selinux" || name == "system.nfs4_acl";
}

Result<void> apply_owner_mode(const InodeRef& ref, const TarEntry& entry, Chmod chmod) {
  auto uid = static_cast<uid_t>(entry.uid);
  auto gid = static_cast<gid_t>(entry.gid);
  if (entry.uid > 0xfffffffeULL || entry.gid > 0xfffffffeULL) {
    return fail(Errc::unsupported, "owner " + std::to_string(entry.uid) + ":" +
                                       std::to_string(entry.gid) + " of " + describe(ref));
  }
  int rc = ref.by_fd() ? ::fchown(ref.fd, uid, gid)
                       : ::fchownat(ref.dir_fd, ref.name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW);
  if (rc != 0) return fail_errno(errno, "chown " + describe(ref));
  if (chmod == Chmod::skip) return {};
  mode_t mode = entry.mode & 07777;
  rc = ref.by_fd() ? ::fchmod(ref.fd, mode) : ::fchmodat(ref.dir_fd, ref.name.c_str(), mode, 0);
  if (rc != 0) return fail_errno(errno, "chmod " + describe(ref));
  return {};
}

Result<void> apply_xattrs(const InodeRef& ref, const std::vector<Xattr>& xattrs, OldXattrs old,
                          std::uint64_t* skipped) {
  if (old == OldXattrs::clear_others) TRY(clear_other_xattrs(ref, xattrs));
  for (const Xattr& x : xattrs) {
    if (is_host_xattr(x.name)) continue;
    if (set_one(ref, x) == 0) continue;
    if (errno == ENOTSUP) {
      ++*skipped;
      continue;
    }
    return fail_errno(errno, "setxattr " + x.name + " " + describe(ref));
  }
  return {};
}

Result<void> apply_times(const InodeRef& ref, const TarEntry& entry) {
  timespec ts[2];
  ts[0].tv_sec = static_cast<time_t>(entry.mtime_sec);
  ts[0].tv_nsec = static_cast<long>(entry.mtime_nsec);
  ts[1] = ts[0];
  int rc = ref.by_fd() ? ::futimens(ref.fd, ts)
                       : ::utimensat(ref.dir_fd, ref.name.c_str(), ts, AT_SYMLINK_NOFOLLOW);
  if (rc != 0) return fail_errno(errno, "utimensat " + describe(ref));
  return {};
}

}  // namespace cairn
