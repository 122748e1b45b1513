#include "cli/mount_table.h"

#include <dirent.h>
#include <unistd.h>

#include "backend/composefs/mount.h"
#include "util/sha256.h"
#include "util/sys.h"

namespace cairn::cli {
namespace {

std::string records_dir(const std::string& root) {
  return root + "/mounts/.records";
}

std::string record_path(const std::string& root, const std::string& path) {
  auto sum = Sha256::of(path);
  return records_dir(root) + "/" + to_hex(sum);
}

bool mounted(const std::string& path) {
  auto is = composefs::is_mount_point(path);
  return is && *is;
}

std::optional<MountRecord> parse(const std::string& text) {
  size_t space = text.find(' ');
  size_t newline = text.find('\n');
  if (space == std::string::npos || newline == std::string::npos || space > newline) {
    return std::nullopt;
  }
  std::string path = text.substr(newline + 1);
  if (!path.empty() && path.back() == '\n') path.pop_back();
  return MountRecord{text.substr(0, space), text.substr(space + 1, newline - space - 1), path};
}

}  // namespace

Result<void> remember_mount(const std::string& root, const MountRecord& record) {
  if (!mounted(record.path)) return {};
  TRY(sys::make_dirs(records_dir(root), 0700));
  return sys::write_file_atomic(record_path(root, record.path),
                                record.kind + " " + record.what + "\n" + record.path + "\n");
}

Result<std::vector<MountRecord>> live_mounts(const std::string& root) {
  std::vector<MountRecord> live;
  DIR* dir = ::opendir(records_dir(root).c_str());
  if (dir == nullptr) return live;
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') names.emplace_back(entry->d_name);
  }
  ::closedir(dir);
  for (const std::string& name : names) {
    const std::string file = records_dir(root) + "/" + name;
    auto text = sys::read_file(file, 8192);
    auto record = text ? parse(*text) : std::nullopt;
    if (record && mounted(record->path)) {
      live.push_back(std::move(*record));
    } else {
      ::unlink(file.c_str());
    }
  }
  return live;
}

Result<std::vector<MountRecord>> mounts_of(const std::string& root, const std::string& kind,
                                           const std::string& what) {
  ASSIGN_OR_RETURN(auto mounts, live_mounts(root));
  std::erase_if(mounts, [&](const MountRecord& m) { return m.kind != kind || m.what != what; });
  return mounts;
}

Result<void> forget_mount(const std::string& root, const std::string& path) {
  if (::unlink(record_path(root, path).c_str()) != 0 && errno != ENOENT) {
    return fail_errno(errno, "unlink the mount record of " + path);
  }
  return {};
}

}  // namespace cairn::cli
