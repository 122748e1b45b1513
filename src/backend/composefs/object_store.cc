#include "backend/composefs/object_store.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "util/sys.h"

namespace cairn::composefs {
namespace {

bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<std::vector<std::string>> entries_of(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) {
    if (errno == ENOENT) return names;
    return fail_errno(errno, "opendir " + path);
  }
  while (dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(dir);
  return names;
}

}  // namespace

std::string ObjectStore::relative_path(const erofs::VerityDigest& digest) {
  std::string hex = erofs::verity_hex(digest);
  return hex.substr(0, 2) + "/" + hex.substr(2);
}

std::string ObjectStore::path_of(const erofs::VerityDigest& digest) const {
  return m_dir + "/" + relative_path(digest);
}

Result<bool> ObjectStore::contains(const erofs::VerityDigest& digest) const {
  return sys::exists(path_of(digest));
}

Result<void> ObjectStore::adopt(const std::string& staged, const erofs::VerityDigest& digest) {
  std::string target = path_of(digest);
  // One rename per object while its fan-out directory exists (the common
  // case); an object that appeared meanwhile is replaced by the same bytes.
  if (::rename(staged.c_str(), target.c_str()) == 0) return {};
  if (errno != ENOENT) return fail_errno(errno, "rename " + staged + " " + target);
  std::string parent = sys::dirname(target);
  if (::mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST) {
    return fail_errno(errno, "mkdir " + parent);
  }
  if (::rename(staged.c_str(), target.c_str()) != 0) {
    return fail_errno(errno, "rename " + staged + " " + target);
  }
  return {};
}

Result<std::set<erofs::VerityDigest>> ObjectStore::list() const {
  std::set<erofs::VerityDigest> objects;
  ASSIGN_OR_RETURN(auto prefixes, entries_of(m_dir));
  for (const std::string& prefix : prefixes) {
    if (prefix.size() != 2 || !is_lower_hex(prefix)) continue;
    ASSIGN_OR_RETURN(auto names, entries_of(m_dir + "/" + prefix));
    for (const std::string& name : names) {
      if (name.size() != 62 || !is_lower_hex(name)) continue;
      auto digest = erofs::parse_verity_hex(prefix + name);
      if (digest) objects.insert(*digest);
    }
  }
  return objects;
}

Result<void> ObjectStore::remove(const erofs::VerityDigest& digest) {
  std::string path = path_of(digest);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return fail_errno(errno, "unlink " + path);
  // The fan-out directory goes with its last object, so a store whose
  // objects are all collected looks as it did before they came.
  std::string parent = sys::dirname(path);
  if (::rmdir(parent.c_str()) != 0 && errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT) {
    return fail_errno(errno, "rmdir " + parent);
  }
  return {};
}

}  // namespace cairn::composefs
