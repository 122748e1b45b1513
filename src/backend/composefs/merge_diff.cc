// Per-layer images: the overlayfs layer between two merged trees. The upper
// tree is a clone of the lower one with a layer applied, so a node that kept
// its id is the same inode: unchanged unless it is a directory updated in
// place (metadata compared) or something below it changed. Everything else
// under a name is new and goes into the layer whole.
//
// Hard links: overlayfs shows each path from the topmost layer that has it
// and cannot link a file of one layer to a file of another. So when a layer
// changes which paths share an inode that stays below (a new hard link to a
// lower file; a lower link broken by replacing or removing a partner), every
// path that inode has now goes into the layer too, as one inode again.
#include <sys/stat.h>

#include "backend/composefs/merge.h"
#include "util/split.h"

namespace cairn::composefs {

struct Merger::DiffNode {
  const Node* node = nullptr;  // nullptr: a whiteout
  bool opaque = false;
  std::map<std::string, DiffNode> children;
};

namespace {

const std::string k_opaque_xattr = "user.overlay.opaque";
const std::string k_opaque_value = "y";

bool same_metadata(const erofs::Inode& a, const erofs::Inode& b) {
  return a.mode == b.mode && a.uid == b.uid && a.gid == b.gid && a.mtime_sec == b.mtime_sec &&
         a.mtime_nsec == b.mtime_nsec && a.xattrs == b.xattrs;
}

}  // namespace

std::optional<Merger::DiffNode> Merger::diff(const Node* lower, const Node& upper) {
  DiffNode out{&upper, false, {}};
  bool changed = lower == nullptr || !same_metadata(lower->inode, upper.inode);
  for (const auto& [name, child] : upper.children) {
    const Node* below = nullptr;
    if (lower) {
      if (auto it = lower->children.find(name); it != lower->children.end())
        below = it->second.get();
    }
    if (below && below->id == child->id) {
      if (!child->is_dir()) continue;
      if (auto sub = diff(below, *child)) out.children.emplace(name, std::move(*sub));
      continue;
    }
    DiffNode whole = child->is_dir() ? *diff(nullptr, *child) : DiffNode{child.get(), false, {}};
    whole.opaque = child->is_dir() && below && below->is_dir();
    out.children.emplace(name, std::move(whole));
  }
  if (lower) {
    for (const auto& [name, child] : lower->children) {
      if (!upper.children.contains(name)) out.children.emplace(name, DiffNode{});
    }
  }
  if (!changed && out.children.empty()) return std::nullopt;
  return out;
}

void Merger::collect_paths(const Node& dir, const std::string& path, PathsById& out) {
  for (const auto& [name, child] : dir.children) {
    std::string child_path = path + "/" + name;
    if (child->is_dir()) {
      collect_paths(*child, child_path, out);
    } else {
      out[child->id].push_back(std::move(child_path));
    }
  }
}

void Merger::include_path(DiffNode& root, std::string_view path) const {
  DiffNode* at = &root;
  const Node* node = m_root.get();
  path.remove_prefix(1);  // the leading '/'
  for (std::string_view part : split(path, '/')) {
    std::string name(part);
    node = node->children.at(name).get();
    at = &at->children.try_emplace(name, DiffNode{node, false, {}}).first->second;
  }
}

void Merger::include_relinked(const Merger& lower, DiffNode& root) const {
  PathsById below;
  PathsById above;
  collect_paths(*lower.m_root, "", below);
  collect_paths(*m_root, "", above);
  for (const auto& [id, paths] : above) {
    auto it = below.find(id);
    if (it == below.end() || it->second == paths) continue;
    for (const std::string& path : paths) include_path(root, path);
  }
}

Result<erofs::Tree> Merger::build_layer_tree(const Merger& lower) const {
  DiffNode root = diff(lower.m_root.get(), *m_root).value_or(DiffNode{m_root.get(), false, {}});
  include_relinked(lower, root);
  std::map<const Node*, std::uint32_t> links;
  std::vector<const DiffNode*> dirs{&root};
  while (!dirs.empty()) {
    const DiffNode* dir = dirs.back();
    dirs.pop_back();
    for (const auto& [name, child] : dir->children) {
      if (child.node && child.node->is_dir()) {
        dirs.push_back(&child);
      } else if (child.node) {
        ++links[child.node];
      }
    }
  }
  erofs::Tree tree(m_root->inode);
  std::map<const Node*, std::string> first_paths;
  TRY(add_diff(tree, root, "", first_paths, links));
  return tree;
}

Result<void> Merger::add_diff(erofs::Tree& tree, const DiffNode& dir, const std::string& path,
                              std::map<const Node*, std::string>& first_paths,
                              const std::map<const Node*, std::uint32_t>& links) {
  for (const auto& [name, child] : dir.children) {
    std::string child_path = path + "/" + name;
    if (!child.node) {
      erofs::Inode whiteout;
      whiteout.mode = S_IFCHR;
      TRY(tree.add(child_path, whiteout));
      continue;
    }
    if (auto first = first_paths.find(child.node); first != first_paths.end()) {
      TRY(tree.add_hardlink(child_path, first->second));
      continue;
    }
    erofs::Inode inode = child.node->inode;
    if (child.node->is_dir()) {
      // insert_or_assign of std::strings: g++ 12 -O2 warns (-Wrestrict,
      // a false positive) on assigning a literal through operator[].
      if (child.opaque) inode.xattrs.insert_or_assign(k_opaque_xattr, k_opaque_value);
    } else {
      inode.nlink = links.at(child.node);
      first_paths.emplace(child.node, child_path);
    }
    TRY(tree.add(child_path, std::move(inode)));
    if (child.node->is_dir()) TRY(add_diff(tree, child, child_path, first_paths, links));
  }
  return {};
}

}  // namespace cairn::composefs
