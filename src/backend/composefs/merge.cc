// The merge keeps the image as a tree of shared nodes: a directory entry
// holds a shared_ptr to its node, so hard links are simply two entries
// sharing one node, and replacing an entry (a new node) leaves the other
// names of the old one untouched, as a new inode on disk would. The layer
// engine decides what each index entry does; TreeTarget is how it sees the
// tree, and apply_one puts the entry where the engine placed it.
#include "backend/composefs/merge.h"

#include <malloc.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <vector>

#include "backend/composefs/object_store.h"
#include "layer/apply_target.h"
#include "layer/oci_path.h"
#include "util/split.h"

namespace cairn::composefs {
namespace {

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

LayerEntryKind kind_of(IndexOp op) {
  switch (op) {
    case IndexOp::directory: return LayerEntryKind::directory;
    case IndexOp::hardlink: return LayerEntryKind::hardlink;
    default: return LayerEntryKind::other;
  }
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

// The engine's view of the merged tree. Directories are found by walking
// from the root; the walk to the last one is kept, as entries come grouped
// by directory.
class Merger::TreeTarget final : public ApplyTarget {
 public:
  explicit TreeTarget(Merger& merger) : m_merger(merger) {}

  Result<TargetNode> look(const std::string& real) override {
    if (real.empty()) return TargetNode{NodeType::directory, ""};
    ASSIGN_OR_RETURN(Node * dir, dir_node(layer_path_parent(real)));
    auto it = dir->children.find(layer_path_name(real));
    if (it == dir->children.end()) return TargetNode{};
    const erofs::Inode& inode = it->second->inode;
    if (S_ISDIR(inode.mode)) return TargetNode{NodeType::directory, ""};
    if (S_ISLNK(inode.mode)) return TargetNode{NodeType::symlink, inode.payload};
    return TargetNode{NodeType::other, ""};
  }

  Result<std::vector<std::string>> list(const std::string& real) override {
    ASSIGN_OR_RETURN(Node * dir, dir_node(real));
    std::vector<std::string> names;
    names.reserve(dir->children.size());
    for (const auto& [name, node] : dir->children) names.push_back(name);
    return names;
  }

  Result<void> remove(const std::string& real) override {
    ASSIGN_OR_RETURN(Node * dir, dir_node(layer_path_parent(real)));
    dir->children.erase(layer_path_name(real));
    return {};
  }

  Result<void> make_dir(const std::string& real) override {
    ASSIGN_OR_RETURN(Node * dir, dir_node(layer_path_parent(real)));
    dir->children.emplace(layer_path_name(real), m_merger.new_node(implicit_dir()));
    return {};
  }

  // The directory at REAL, which the engine found to be one.
  Result<Node*> dir_node(const std::string& real) {
    std::vector<std::string_view> names;
    if (!real.empty()) names = split(real, '/');
    size_t keep = 0;
    while (keep < m_walk.size() && keep < names.size() && m_walk[keep].first == names[keep]) {
      ++keep;
    }
    m_walk.resize(keep);
    for (size_t i = keep; i < names.size(); ++i) {
      Node* parent = m_walk.empty() ? m_merger.m_root.get() : m_walk.back().second;
      std::string name(names[i]);
      auto it = parent->children.find(name);
      if (it == parent->children.end() || !it->second->is_dir()) {
        return fail_errno(ENOTDIR, "merged tree: /" + real);
      }
      m_walk.emplace_back(std::move(name), it->second.get());
    }
    return m_walk.empty() ? m_merger.m_root.get() : m_walk.back().second;
  }

  // The node at REAL ("" the root), which the engine found to exist.
  Result<std::shared_ptr<Node>> node(const std::string& real) {
    if (real.empty()) return m_merger.m_root;
    ASSIGN_OR_RETURN(Node * dir, dir_node(layer_path_parent(real)));
    auto it = dir->children.find(layer_path_name(real));
    if (it == dir->children.end()) return fail_errno(ENOENT, "merged tree: /" + real);
    return it->second;
  }

 private:
  Merger& m_merger;
  std::vector<std::pair<std::string, Node*>> m_walk;  // root's children first
};

Result<void> Merger::apply_text(std::string_view index_text) {
  TreeTarget target(*this);
  LayerEngine engine(target);
  return for_each_index_entry(index_text,
                              [&](const IndexEntry& e) { return apply_one(target, engine, e); });
}

Result<void> Merger::apply_one(TreeTarget& target, LayerEngine& engine, const IndexEntry& e) {
  auto applied = [&]() -> Result<void> {
    auto [dir, name] = split_layer_path(e.path);
    if (e.op == IndexOp::whiteout) return engine.whiteout(dir, name);
    if (e.op == IndexOp::opaque) return engine.opaque(e.path);
    std::string_view link = e.op == IndexOp::hardlink ? std::string_view(e.data) : "";
    ASSIGN_OR_RETURN(Placement at, engine.place(dir, name, kind_of(e.op), link));
    switch (at.action) {
      case Placement::Action::update_dir: {
        ASSIGN_OR_RETURN(std::shared_ptr<Node> updated, target.node(at.real));
        updated->inode = inode_of(e);
        return {};
      }
      case Placement::Action::link: {
        ASSIGN_OR_RETURN(std::shared_ptr<Node> linked, target.node(at.link_real));
        ASSIGN_OR_RETURN(Node * parent, target.dir_node(layer_path_parent(at.real)));
        parent->children[layer_path_name(at.real)] = std::move(linked);
        return {};
      }
      case Placement::Action::create: {
        ASSIGN_OR_RETURN(Node * parent, target.dir_node(layer_path_parent(at.real)));
        parent->children[layer_path_name(at.real)] = new_node(inode_of(e));
        return {};
      }
    }
    return {};
  }();
  if (!applied) return fail(std::move(applied).error().wrap("/" + e.path));
  return {};
}

Result<erofs::Tree> Merger::build_tree() const {
  return clone().take_tree();
}

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
