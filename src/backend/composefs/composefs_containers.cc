// Containers of the composefs backend (doc/composefs-backend.md):
//
//   ROOT/composefs/containers/<name>/image   "sha256:<top chain>\n"
//   ROOT/composefs/containers/<name>/upper/  what the container wrote
//   ROOT/composefs/containers/<name>/work/   overlay's work directory
//   ROOT/composefs/containers/<name>/fresh   present until the first mount
//
// Creating one makes three directories and a small file, whatever the image's
// size, in ROOT/tmp, then renames the whole into place; removing one renames
// it back into ROOT/tmp before deleting it. So a container directory is
// always complete, whenever cairn is killed: ROOT/tmp is cleared by the next
// run, and gc, ps and mount never meet a half-made or half-removed one. Mounting it stacks a
// writable overlay (upperdir, workdir) over the same read-only layers an image mount uses. Overlay
// takes the root directory's owner and mode from the upper directory: at the first mount
// (`fresh` present) they are copied from the image's root. Whether and where
// a container is mounted is read from /proc/self/mountinfo (the overlay
// whose upperdir is the container's), so nothing else records it.
#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_NOREPLACE
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <span>

#include "backend/composefs/composefs_backend.h"
#include "util/sys.h"
#include "util/temp_dir.h"

namespace cairn::composefs {
namespace {

// Gives UPPER the owner, mode and times of the root of the mount LOWER.
Result<void> copy_root_attributes(int lower, const std::string& upper) {
  ASSIGN_OR_RETURN(struct stat st, sys::fstat(lower, "image root"));
  if (::chown(upper.c_str(), st.st_uid, st.st_gid) != 0) return fail_errno(errno, "chown " + upper);
  if (::chmod(upper.c_str(), st.st_mode & 07777) != 0) return fail_errno(errno, "chmod " + upper);
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (::utimensat(AT_FDCWD, upper.c_str(), times, 0) != 0) {
    return fail_errno(errno, "utimensat " + upper);
  }
  return {};
}

// Fills a new container directory (still in ROOT/tmp): the image file's data
// is synced, then the directory that names everything (the empty marker has
// no data to sync).
Result<void> fill_container_dir(const std::string& dir, const Digest& top) {
  for (const char* sub : {"/upper", "/work"}) {
    if (::mkdir((dir + sub).c_str(), 0755) != 0) return fail_errno(errno, "mkdir " + dir + sub);
  }
  ASSIGN_OR_RETURN(UniqueFd marker, sys::open(dir + "/fresh", O_WRONLY | O_CREAT | O_EXCL, 0644));
  ASSIGN_OR_RETURN(UniqueFd image, sys::open(dir + "/image", O_WRONLY | O_CREAT | O_EXCL, 0644));
  const std::string text = top.str() + "\n";
  TRY(sys::write_all(image.get(), std::as_bytes(std::span(text)), dir + "/image"));
  TRY(sys::fsync(image.get(), dir + "/image"));
  return sys::fsync_path(dir);
}

}  // namespace

Result<std::string> ComposefsBackend::container_path(const std::string& name) {
  return m_containers + "/" + name;
}

Result<std::string> ComposefsBackend::container_mount_point(const std::string& name) {
  return m_mounts + "/containers/" + name;
}

Result<std::string> ComposefsBackend::create_container(const Digest& top, const std::string& name) {
  ASSIGN_OR_RETURN(bool present, has_image(top));
  if (!present) return fail(Errc::not_found, "composefs image " + top.str());
  ASSIGN_OR_RETURN(std::string dir, container_path(name));
  ASSIGN_OR_RETURN(TempDir staging, TempDir::create(m_tmp, "container-"));
  const std::string staged = staging.path() + "/container";
  if (::mkdir(staged.c_str(), 0700) != 0) return fail_errno(errno, "mkdir " + staged);
  TRY(fill_container_dir(staged, top));
  if (::renameat2(AT_FDCWD, staged.c_str(), AT_FDCWD, dir.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno == EEXIST) return fail(Errc::already_exists, "container " + name);
    return fail_errno(errno, "rename " + staged + " to " + dir);
  }
  TRY(sys::fsync_path(m_containers));
  return dir;
}

Result<Digest> ComposefsBackend::container_image(const std::string& name) const {
  const std::string path = m_containers + "/" + name + "/image";
  ASSIGN_OR_RETURN(std::string text, sys::read_file(path, 4096));
  if (!text.empty() && text.back() == '\n') text.pop_back();
  auto top = Digest::parse(text);
  if (!top) return fail(Errc::corrupt_store, path + ": not a digest");
  return *top;
}

Result<std::vector<std::string>> ComposefsBackend::container_names() const {
  return sys::list_directory(m_containers);
}

Result<std::string> ComposefsBackend::mount_container(const std::string& name,
                                                      const std::string& target) {
  ASSIGN_OR_RETURN(std::string dir, container_path(name));
  ASSIGN_OR_RETURN(Digest top, container_image(name));
  ASSIGN_OR_RETURN(std::string where, container_mount_point(name));
  if (!target.empty()) where = target;
  ASSIGN_OR_RETURN(auto mounted, overlays_with_upper(dir + "/upper"));
  if (!mounted.empty()) {
    if (target.empty() || mounted.front() == target) return mounted.front();
    return fail(Errc::busy, "container " + name + " is mounted at " + mounted.front());
  }
  TRY(sys::make_dirs(where, 0755));
  ASSIGN_OR_RETURN(bool fresh, sys::exists(dir + "/fresh"));
  std::string data_dir;
  ASSIGN_OR_RETURN(std::vector<UniqueFd> lowers, mount_lowers(top, data_dir));
  if (fresh) {
    TRY(copy_root_attributes(lowers.front().get(), dir + "/upper"));
    if (::unlink((dir + "/fresh").c_str()) != 0)
      return fail_errno(errno, "unlink " + dir + "/fresh");
  }
  std::vector<int> fds;
  for (const UniqueFd& fd : lowers) fds.push_back(fd.get());
  TRY(mount_overlay(fds, data_dir, Attach::at_target, where,
                    WritableLayer{dir + "/upper", dir + "/work"}));
  return where;
}

Result<void> ComposefsBackend::remove_container(const std::string& name) {
  ASSIGN_OR_RETURN(std::string dir, container_path(name));
  ASSIGN_OR_RETURN(auto mounted, overlays_with_upper(dir + "/upper"));
  for (const std::string& path : mounted) TRY(unmount(path));
  ASSIGN_OR_RETURN(bool present, sys::exists(dir));
  if (!present) return {};
  ASSIGN_OR_RETURN(TempDir graveyard, TempDir::create(m_tmp, "removed-container-"));
  TRY(sys::rename(dir, graveyard.path() + "/container"));
  TRY(sys::fsync_path(m_containers));
  return sys::remove_tree(graveyard.path());
}

}  // namespace cairn::composefs
