#include "erofs/tree.h"

#include "util/split.h"

namespace cairn::erofs {
namespace {

constexpr size_t k_max_name_length = 255;

}  // namespace

std::optional<FileType> file_type_of_mode(std::uint32_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return FileType::regular;
    case S_IFDIR: return FileType::directory;
    case S_IFLNK: return FileType::symlink;
    case S_IFCHR: return FileType::char_device;
    case S_IFBLK: return FileType::block_device;
    case S_IFIFO: return FileType::fifo;
    case S_IFSOCK: return FileType::socket;
    default: return std::nullopt;
  }
}

FileType Inode::type() const {
  auto type = file_type_of_mode(mode);
  CHECK_MSG(type.has_value(), "unknown file type in mode " + std::to_string(mode));
  return *type;
}

Result<std::vector<std::string>> split_tree_path(std::string_view path) {
  if (path.empty() || path.front() != '/') {
    return fail(Errc::bad_input, "path is not absolute: " + std::string(path));
  }
  std::vector<std::string> parts;
  if (path == "/") return parts;
  for (std::string_view part : split(path.substr(1), '/')) {
    if (part.empty() || part == "." || part == "..") {
      return fail(Errc::bad_input, "invalid component in path " + std::string(path));
    }
    if (part.size() > k_max_name_length) {
      return fail(Errc::bad_input, "name too long in path " + std::string(path));
    }
    parts.emplace_back(part);
  }
  return parts;
}

Tree::Tree(Inode root) {
  CHECK((root.mode & S_IFMT) == S_IFDIR);
  m_inodes.push_back(Node{std::move(root)});
}

const std::map<std::string, DirEntry>& Tree::children(InodeId dir) const {
  static const Children k_none;
  const Node& node = m_inodes.at(dir);
  return node.children == k_no_children ? k_none : m_children[node.children];
}

Tree::Children& Tree::children_for_insert(InodeId dir) {
  Node& node = m_inodes[dir];
  if (node.children == k_no_children) {
    node.children = static_cast<std::uint32_t>(m_children.size());
    m_children.emplace_back();
  }
  return m_children[node.children];
}

Result<InodeId> Tree::lookup(std::string_view path) const {
  ASSIGN_OR_RETURN(auto parts, split_tree_path(path));
  InodeId id = root();
  for (const std::string& part : parts) {
    const auto& children = this->children(id);
    auto it = children.find(part);
    if (it == children.end()) return fail(Errc::not_found, "no such path: " + std::string(path));
    id = it->second.inode;
  }
  return id;
}

Result<std::pair<InodeId, std::string>> Tree::locate_new(std::string_view path) const {
  ASSIGN_OR_RETURN(auto parts, split_tree_path(path));
  if (parts.empty()) return fail(Errc::bad_input, "the root already exists");
  InodeId parent = root();
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const auto& children = this->children(parent);
    auto it = children.find(parts[i]);
    if (it == children.end()) {
      return fail(Errc::bad_input, "parent directory missing for " + std::string(path));
    }
    parent = it->second.inode;
  }
  return std::pair{parent, std::move(parts.back())};
}

Result<void> Tree::check_new(InodeId dir, const std::string& name, std::string_view what) const {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    return fail(Errc::bad_input, "invalid component in path " + std::string(what));
  }
  if (name.size() > k_max_name_length) {
    return fail(Errc::bad_input, "name too long in path " + std::string(what));
  }
  if ((m_inodes.at(dir).inode.mode & S_IFMT) != S_IFDIR) {
    return fail(Errc::bad_input, "parent is not a directory for " + std::string(what));
  }
  if (children(dir).contains(name)) {
    return fail(Errc::bad_input, "path already exists: " + std::string(what));
  }
  return {};
}

Result<InodeId> Tree::add(std::string_view path, Inode inode) {
  ASSIGN_OR_RETURN(auto where, locate_new(path));
  return insert(where.first, std::move(where.second), std::move(inode), path);
}

Result<InodeId> Tree::add_child(InodeId dir, std::string name, Inode inode) {
  return insert(dir, std::move(name), std::move(inode), {});
}

Result<InodeId> Tree::insert(InodeId dir, std::string name, Inode inode, std::string_view what) {
  if (what.empty()) what = name;
  if (!file_type_of_mode(inode.mode)) {
    return fail(Errc::bad_input, "unknown file type in mode of " + std::string(what));
  }
  TRY(check_new(dir, name, what));
  auto id = static_cast<InodeId>(m_inodes.size());
  m_inodes.push_back(Node{std::move(inode)});
  children_for_insert(dir).emplace(std::move(name), DirEntry{id, EntryKind::primary});
  return id;
}

Result<void> Tree::add_hardlink(std::string_view path, std::string_view target) {
  auto target_id = lookup(target);
  if (!target_id) {
    return fail(Errc::bad_input,
                "hard link " + std::string(path) + ": no target at " + std::string(target));
  }
  ASSIGN_OR_RETURN(auto where, locate_new(path));
  return insert_link(where.first, std::move(where.second), *target_id, path);
}

Result<void> Tree::add_child_link(InodeId dir, std::string name, InodeId target) {
  return insert_link(dir, std::move(name), target, {});
}

Result<void> Tree::insert_link(InodeId dir, std::string name, InodeId target,
                               std::string_view what) {
  if (what.empty()) what = name;
  if ((m_inodes.at(target).inode.mode & S_IFMT) == S_IFDIR) {
    return fail(Errc::bad_input, "hard link " + std::string(what) + " to a directory");
  }
  TRY(check_new(dir, name, what));
  children_for_insert(dir).emplace(std::move(name), DirEntry{target, EntryKind::hard_link});
  return {};
}

}  // namespace cairn::erofs
