#include "backend/composefs/mount.h"

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "util/sys.h"

namespace cairn::composefs {
namespace {

constexpr int k_loop_attempts = 8;

// The messages the kernel queued on an fs context ("e overlay: …"), joined.
std::string context_messages(int fs_fd) {
  std::string all;
  char buf[512];
  while (true) {
    ssize_t n = ::read(fs_fd, buf, sizeof buf);
    if (n <= 0) break;
    if (!all.empty()) all += "; ";
    all.append(buf, static_cast<size_t>(n));
  }
  return all;
}

Result<void> configure(int fs_fd, unsigned cmd, const char* key, const char* value,
                       const std::string& what) {
  if (::fsconfig(fs_fd, cmd, key, value, 0) == 0) return {};
  int err = errno;
  std::string messages = context_messages(fs_fd);
  std::string context = what + (key ? std::string(" ") + key : std::string(" create"));
  if (value) context += "=" + std::string(value);
  if (!messages.empty()) context += " (" + messages + ")";
  return fail_errno(err, context);
}

Result<UniqueFd> open_context(const char* fs_type) {
  int fd = ::fsopen(fs_type, FSOPEN_CLOEXEC);
  if (fd < 0) return fail_errno(errno, std::string("fsopen ") + fs_type);
  return UniqueFd(fd);
}

Result<UniqueFd> create_mount(int fs_fd, const std::string& what,
                              unsigned attributes = MOUNT_ATTR_RDONLY) {
  int fd = ::fsmount(fs_fd, FSMOUNT_CLOEXEC, attributes);
  if (fd < 0) return fail_errno(errno, "fsmount " + what);
  return UniqueFd(fd);
}

}  // namespace

Result<void> check_kernel_support() {
  TRY(open_context("erofs"));
  ASSIGN_OR_RETURN(UniqueFd overlay, open_context("overlay"));
  TRY(configure(overlay.get(), FSCONFIG_SET_STRING, "lowerdir+", "/", "overlay"));
  return configure(overlay.get(), FSCONFIG_SET_STRING, "datadir+", "/", "overlay");
}

namespace {

Result<UniqueFd> erofs_from(const std::string& source, const std::string& image) {
  ASSIGN_OR_RETURN(UniqueFd fs, open_context("erofs"));
  TRY(configure(fs.get(), FSCONFIG_SET_STRING, "source", source.c_str(), "erofs " + image));
  TRY(configure(fs.get(), FSCONFIG_SET_FLAG, "ro", nullptr, "erofs " + image));
  TRY(configure(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, "erofs " + image));
  return create_mount(fs.get(), "erofs " + image);
}

// A read-only loop device over IMAGE that detaches itself once unused.
Result<UniqueFd> attach_loop(const std::string& image, std::string& device) {
  ASSIGN_OR_RETURN(UniqueFd file, sys::open(image, O_RDONLY));
  ASSIGN_OR_RETURN(UniqueFd control, sys::open("/dev/loop-control", O_RDWR));
  for (int attempt = 0; attempt < k_loop_attempts; ++attempt) {
    int number = ::ioctl(control.get(), LOOP_CTL_GET_FREE);
    if (number < 0) return fail_errno(errno, "LOOP_CTL_GET_FREE");
    device = "/dev/loop" + std::to_string(number);
    ASSIGN_OR_RETURN(UniqueFd loop, sys::open(device, O_RDWR));
    loop_config config{};
    config.fd = static_cast<std::uint32_t>(file.get());
    config.block_size = 0;
    config.info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
    if (::ioctl(loop.get(), LOOP_CONFIGURE, &config) == 0) return loop;
    if (errno != EBUSY) return fail_errno(errno, "LOOP_CONFIGURE " + device + " " + image);
  }
  return fail_errno(EBUSY, "no free loop device for " + image);
}

std::vector<std::string_view> split_on(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    size_t at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  for (std::string_view part : split_on(line, ' ')) {
    if (!part.empty()) fields.push_back(part);
  }
  return fields;
}

// mountinfo writes space, tab, newline and backslash in paths as \ooo.
std::string unescape_mountinfo(std::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && field.size() - i >= 4) {
      out += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                               (field[i + 3] - '0'));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

}  // namespace

Result<UniqueFd> mount_erofs(const std::string& image) {
  auto direct = erofs_from(image, image);
  if (direct || !(direct.error().is_errno(ENOTBLK) || direct.error().is_errno(EINVAL))) {
    return direct;
  }
  std::string device;
  ASSIGN_OR_RETURN(UniqueFd loop, attach_loop(image, device));
  // The mount keeps the device busy; closing `loop` afterwards arms autoclear.
  return erofs_from(device, image);
}

Result<UniqueFd> mount_overlay(const std::vector<int>& lowers, const std::string& data_dir,
                               Attach attach, const std::string& target,
                               const std::optional<WritableLayer>& writable) {
  ASSIGN_OR_RETURN(UniqueFd fs, open_context("overlay"));
  const std::string what = "overlay " + (target.empty() ? std::string("(detached)") : target);
  TRY(configure(fs.get(), FSCONFIG_SET_STRING, "source", "composefs", what));
  for (int lower : lowers) {
    std::string path = "/proc/self/fd/" + std::to_string(lower);
    TRY(configure(fs.get(), FSCONFIG_SET_STRING, "lowerdir+", path.c_str(), what));
  }
  if (!data_dir.empty()) {
    TRY(configure(fs.get(), FSCONFIG_SET_STRING, "datadir+", data_dir.c_str(), what));
    TRY(configure(fs.get(), FSCONFIG_SET_STRING, "metacopy", "on", what));
    TRY(configure(fs.get(), FSCONFIG_SET_STRING, "redirect_dir", "on", what));
  } else {
    TRY(configure(fs.get(), FSCONFIG_SET_FLAG, "userxattr", nullptr, what));
  }
  if (writable) {
    TRY(configure(fs.get(), FSCONFIG_SET_STRING, "upperdir", writable->upper.c_str(), what));
    TRY(configure(fs.get(), FSCONFIG_SET_STRING, "workdir", writable->work.c_str(), what));
  }
  TRY(configure(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, what));
  ASSIGN_OR_RETURN(UniqueFd mount, create_mount(fs.get(), what, writable ? 0 : MOUNT_ATTR_RDONLY));
  if (attach == Attach::detached) return mount;
  if (::move_mount(mount.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    return fail_errno(errno, "move_mount " + target);
  }
  return UniqueFd();
}

Result<void> unmount_path(const std::string& target) {
  if (::umount2(target.c_str(), UMOUNT_NOFOLLOW) != 0) return fail_errno(errno, "umount " + target);
  return {};
}

Result<bool> is_mount_point(const std::string& path) {
  struct statx st {};
  if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &st) != 0) {
    if (errno == ENOENT) return false;
    return fail_errno(errno, "statx " + path);
  }
  return (st.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0 &&
         (st.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
}

Result<std::vector<std::string>> overlays_with_upper(const std::string& upper) {
  ASSIGN_OR_RETURN(std::string text, sys::read_file("/proc/self/mountinfo"));
  std::vector<std::string> found;
  const std::string option = "upperdir=" + upper;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string_view line(text.data() + pos, nl - pos);
    pos = nl + 1;
    std::vector<std::string_view> fields = split_fields(line);
    size_t dash = std::find(fields.begin(), fields.end(), "-") - fields.begin();
    if (fields.size() < 5 || dash + 3 >= fields.size() || fields[dash + 1] != "overlay") continue;
    for (std::string_view opt : split_on(fields[dash + 3], ',')) {
      if (opt == option) found.push_back(unescape_mountinfo(fields[4]));
    }
  }
  return found;
}

}  // namespace cairn::composefs
