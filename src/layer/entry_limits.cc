#include "layer/entry_limits.h"

#include <string_view>

namespace cairn {
namespace {

constexpr size_t k_name_max = 255;
constexpr size_t k_path_max = 4095;
constexpr size_t k_xattr_name_max = 255;
constexpr size_t k_xattr_size_max = 65536;
constexpr size_t k_xattr_list_max = 65536;

Result<void> check_path(std::string_view path, std::string_view what) {
  if (path.size() > k_path_max) {
    return fail(Errc::bad_input, std::string(what) + " is " + std::to_string(path.size()) +
                                     " bytes long (at most " + std::to_string(k_path_max) + ")");
  }
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view name = path.substr(0, slash);
    if (name.size() > k_name_max) {
      return fail(Errc::bad_input, std::string(what) + " has a name of " +
                                       std::to_string(name.size()) + " bytes (at most " +
                                       std::to_string(k_name_max) + ")");
    }
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return {};
}

Result<void> check_limits(const TarEntry& entry) {
  TRY(check_path(entry.path, "its path"));
  if (entry.type == EntryType::hardlink) TRY(check_path(entry.link_target, "its link target"));
  if (entry.type == EntryType::symlink && entry.link_target.size() > k_path_max) {
    return fail(Errc::bad_input, "its symlink target is " +
                                     std::to_string(entry.link_target.size()) +
                                     " bytes long (at most " + std::to_string(k_path_max) + ")");
  }
  size_t list = 0;
  for (const Xattr& x : entry.xattrs) {
    if (x.name.size() > k_xattr_name_max || x.value.size() > k_xattr_size_max) {
      return fail(Errc::bad_input, "xattr " + x.name.substr(0, 64) + " is too long (name at most " +
                                       std::to_string(k_xattr_name_max) + " bytes, value at most " +
                                       std::to_string(k_xattr_size_max) + ")");
    }
    list += x.name.size() + 1;
  }
  if (list > k_xattr_list_max) {
    return fail(Errc::bad_input, std::to_string(entry.xattrs.size()) + " xattrs whose names take " +
                                     std::to_string(list) + " bytes (at most " +
                                     std::to_string(k_xattr_list_max) + ")");
  }
  return {};
}

}  // namespace

Result<void> check_entry_limits(const TarEntry& entry) {
  auto checked = check_limits(entry);
  if (!checked) {
    return fail(std::move(checked).error().wrap("layer entry " + entry.path.substr(0, 200) +
                                                (entry.path.size() > 200 ? "…" : "")));
  }
  return {};
}

}  // namespace cairn
