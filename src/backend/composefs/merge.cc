// The merge keeps the image as a tree of shared nodes: a directory entry
// holds a shared_ptr to its node, so hard links are simply two entries
// sharing one node, and replacing an entry (a new node) leaves the other
// names of the old one untouched, as a new inode on disk would. Path
// resolution walks a work list of components: a symlink met on the way
// pushes its target's components in front, an absolute target restarts at
// the root (or is refused), ".." pops the walked stack.
#include "backend/composefs/merge.h"

#include <malloc.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <deque>
#include <vector>

#include "backend/composefs/object_store.h"
#include "layer/oci_path.h"
#include "util/split.h"

namespace cairn::composefs {
namespace {

constexpr int k_max_symlinks = 40;
// Nodes take_tree frees between two malloc_trim calls.
constexpr size_t k_trim_every = 64 * 1024;

std::uint32_t type_bits(IndexOp op) {
  switch (op) {
    case IndexOp::directory: return S_IFDIR;
    case IndexOp::symlink: return S_IFLNK;
    case IndexOp::char_device: return S_IFCHR;
    case IndexOp::block_device: return S_IFBLK;
    case IndexOp::fifo: return S_IFIFO;
    default: return S_IFREG;
  }
}

bool host_xattr(std::string_view name) {
  return name == "security.selinux" || name == "system.nfs4_acl";
}

std::map<std::string, std::string> xattrs_of(const IndexEntry& e) {
  std::map<std::string, std::string> xattrs;
  for (const Xattr& x : e.xattrs) {
    if (!host_xattr(x.name)) xattrs[x.name] = x.value;
  }
  return xattrs;
}

erofs::Inode inode_of(const IndexEntry& e) {
  erofs::Inode inode;
  inode.mode = type_bits(e.op) | (e.op == IndexOp::symlink ? 0777 : (e.mode & 07777));
  inode.uid = e.uid;
  inode.gid = e.gid;
  inode.mtime_sec = e.mtime_sec;
  inode.mtime_nsec = e.mtime_nsec;
  inode.xattrs = xattrs_of(e);
  if (e.op == IndexOp::regular) {
    inode.size = e.size;
    if (e.object) {
      inode.payload = ObjectStore::relative_path(*e.object);
      inode.verity_digest = *e.object;
    } else {
      inode.content = e.data;
    }
  } else if (e.op == IndexOp::symlink) {
    inode.payload = e.data;
  } else if (e.op == IndexOp::char_device || e.op == IndexOp::block_device) {
    inode.rdev = makedev(e.dev_major, e.dev_minor);
  }
  return inode;
}

erofs::Inode implicit_dir() {
  erofs::Inode inode;
  inode.mode = S_IFDIR | 0755;
  return inode;
}

std::deque<std::string> components(std::string_view path) {
  std::deque<std::string> parts;
  for (std::string_view part : split(path, '/')) {
    if (!part.empty()) parts.emplace_back(part);
  }
  return parts;
}

std::string join_path(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  return std::string(dir) + "/" + std::string(name);
}

}  // namespace

Merger::Merger() : m_root(new_node(implicit_dir())) {}

std::shared_ptr<Merger::Node> Merger::new_node(erofs::Inode inode) {
  return std::make_shared<Node>(Node{std::move(inode), {}, m_next_id++, 0});
}

Merger Merger::clone() const {
  Merger copy;
  copy.m_next_id = m_next_id;
  std::map<const Node*, std::shared_ptr<Node>> copies;
  copy.m_root = copy_node(*m_root, copies);
  return copy;
}

std::shared_ptr<Merger::Node> Merger::copy_node(
    const Node& node, std::map<const Node*, std::shared_ptr<Node>>& copies) {
  if (auto it = copies.find(&node); it != copies.end()) return it->second;
  auto copy = std::make_shared<Node>(Node{node.inode, {}, node.id, 0});
  copies.emplace(&node, copy);
  for (const auto& [name, child] : node.children) {
    copy->children.emplace(name, copy_node(*child, copies));
  }
  return copy;
}

Result<void> Merger::apply_text(std::string_view index_text) {
  m_upper.clear();
  TRY(for_each_index_entry(index_text, [this](const IndexEntry& e) { return apply_one(e); }));
  m_upper.clear();  // only needed while the layer is applied
  return {};
}

Result<void> Merger::apply_one(const IndexEntry& e) {
  Result<void> applied = e.op == IndexOp::whiteout ? apply_whiteout(e)
                         : e.op == IndexOp::opaque ? apply_opaque(e)
                                                   : apply_entry(e);
  if (!applied) return fail(std::move(applied).error().wrap("/" + e.path));
  return {};
}

Result<std::optional<Merger::Resolved>> Merger::resolve(std::string_view path, Escape escape,
                                                        Missing missing) {
  std::deque<std::string> todo = components(path);
  std::vector<std::pair<std::string, Node*>> walked;
  int symlinks = 0;
  while (!todo.empty()) {
    std::string name = std::move(todo.front());
    todo.pop_front();
    if (name == ".") continue;
    if (name == "..") {
      if (!walked.empty()) {
        walked.pop_back();
      } else if (escape == Escape::refuse) {
        return fail(Errc::unsafe_path, "a symlink on the way climbs out of the root");
      }
      continue;
    }
    Node* dir = walked.empty() ? m_root.get() : walked.back().second;
    auto it = dir->children.find(name);
    if (it == dir->children.end()) {
      if (missing == Missing::absent) return std::nullopt;
      it = dir->children.emplace(name, new_node(implicit_dir())).first;
    }
    Node* child = it->second.get();
    if (S_ISLNK(child->inode.mode)) {
      if (++symlinks > k_max_symlinks) return fail_errno(ELOOP, "resolve");
      const std::string& target = child->inode.payload;
      if (target.starts_with('/')) {
        if (escape == Escape::refuse) {
          return fail(Errc::unsafe_path, "absolute symlink " + name + " -> " + target);
        }
        walked.clear();
      }
      std::deque<std::string> parts = components(target);
      todo.insert(todo.begin(), parts.begin(), parts.end());
      continue;
    }
    if (!child->is_dir()) {
      if (missing == Missing::absent) return std::nullopt;
      return fail_errno(ENOTDIR, "resolve " + name);
    }
    walked.emplace_back(std::move(name), child);
  }
  Resolved resolved{walked.empty() ? m_root.get() : walked.back().second, {}};
  for (const auto& [name, node] : walked) resolved.real = join_path(resolved.real, name);
  return resolved;
}

Result<void> Merger::apply_entry(const IndexEntry& e) {
  erofs::Inode inode = inode_of(e);
  if (e.path.empty()) {  // the root: a directory (checked at ingest)
    inode.mode = S_IFDIR | (inode.mode & 07777);
    m_root->inode = std::move(inode);
    return {};
  }
  auto [dir, name_view] = split_layer_path(e.path);
  std::string name(name_view);
  ASSIGN_OR_RETURN(auto parent, resolve(dir, Escape::refuse, Missing::create));
  CHECK(parent.has_value());  // Missing::create always yields a directory
  auto& children = parent->dir->children;
  if (e.op == IndexOp::hardlink) {
    TRY(apply_hardlink(*parent->dir, name, e));
  } else if (auto it = children.find(name);
             e.op == IndexOp::directory && it != children.end() && it->second->is_dir()) {
    it->second->inode = std::move(inode);
  } else {
    children[name] = new_node(std::move(inode));
  }
  mark_upper(join_path(parent->real, name));
  return {};
}

Result<void> Merger::apply_hardlink(Node& dir, const std::string& name, const IndexEntry& e) {
  dir.children.erase(name);
  auto [target_dir, target_name] = split_layer_path(e.data);
  ASSIGN_OR_RETURN(auto resolved, resolve(target_dir, Escape::refuse, Missing::absent));
  std::map<std::string, std::shared_ptr<Node>>::iterator it;
  if (!resolved || target_name.empty() ||
      (it = resolved->dir->children.find(std::string(target_name))) ==
          resolved->dir->children.end()) {
    return fail(Errc::bad_input, "hardlink target " + e.data + " does not exist");
  }
  if (it->second->is_dir()) return fail_errno(EPERM, "hardlink to directory " + e.data);
  std::shared_ptr<Node> target = it->second;
  dir.children[name] = std::move(target);
  return {};
}

Result<void> Merger::apply_whiteout(const IndexEntry& e) {
  auto [dir, name] = split_layer_path(e.path);
  ASSIGN_OR_RETURN(auto parent, resolve(dir, Escape::confine, Missing::absent));
  if (!parent || !parent->dir->children.contains(std::string(name))) return {};
  prune_lower(*parent->dir, parent->real, std::string(name));
  return {};
}

Result<void> Merger::apply_opaque(const IndexEntry& e) {
  ASSIGN_OR_RETURN(auto resolved, resolve(e.path, Escape::confine, Missing::absent));
  if (!resolved) return {};
  std::vector<std::string> names;
  for (const auto& [name, node] : resolved->dir->children) names.push_back(name);
  for (const std::string& name : names) prune_lower(*resolved->dir, resolved->real, name);
  return {};
}

void Merger::prune_lower(Node& dir, const std::string& dir_real, const std::string& name) {
  std::string real = join_path(dir_real, name);
  auto it = dir.children.find(name);
  if (!m_upper.contains(real)) {
    dir.children.erase(it);
    return;
  }
  Node& child = *it->second;
  if (!child.is_dir()) return;
  std::vector<std::string> names;
  for (const auto& [child_name, node] : child.children) names.push_back(child_name);
  for (const std::string& child_name : names) prune_lower(child, real, child_name);
}

void Merger::mark_upper(const std::string& real) {
  std::string path = real;
  while (m_upper.insert(path).second) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) {
      m_upper.insert("");
      return;
    }
    path.resize(slash);
  }
}

Result<erofs::Tree> Merger::build_tree() const { return clone().take_tree(); }

Result<erofs::Tree> Merger::take_tree() && {
  size_t inodes = 1;
  std::vector<Node*> dirs{m_root.get()};
  while (!dirs.empty()) {
    Node* dir = dirs.back();
    dirs.pop_back();
    for (auto& [name, child] : dir->children) {
      if (child->names++ == 0) ++inodes;
      if (child->is_dir()) dirs.push_back(child.get());
    }
  }
  erofs::Tree tree(std::move(m_root->inode));
  tree.reserve(inodes);
  Taken taken;
  TRY(move_children(tree, *m_root, tree.root(), taken));
  m_root.reset();
  ::malloc_trim(0);
  return tree;
}

Result<void> Merger::move_children(erofs::Tree& tree, Node& dir, erofs::InodeId dir_id,
                                   Taken& taken) {
  for (auto& [name, child] : dir.children) {
    if (auto first = taken.linked.find(child.get()); first != taken.linked.end()) {
      TRY(tree.add_child_link(dir_id, name, first->second));
      continue;
    }
    if (!child->is_dir()) child->inode.nlink = child->names;
    ASSIGN_OR_RETURN(erofs::InodeId id, tree.add_child(dir_id, name, std::move(child->inode)));
    if (child->names > 1) taken.linked.emplace(child.get(), id);
    if (child->is_dir()) TRY(move_children(tree, *child, id, taken));
  }
  // Nodes no other directory names are freed here, as the tree grows; their
  // pages go back to the system now and then (malloc keeps them otherwise),
  // so that the merge and the tree do not both stay resident.
  taken.freed += dir.children.size();
  dir.children.clear();
  if (taken.freed >= k_trim_every) {
    ::malloc_trim(0);
    taken.freed = 0;
  }
  return {};
}

}  // namespace cairn::composefs
