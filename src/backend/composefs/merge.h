// Flattening layer indexes into one composefs tree. The OCI layer
// semantics are the layer engine's (layer/layer_engine.h), the same that the
// dir, btrfs and zfs backends apply on disk; the Merger is its in-memory
// target: a tree of shared nodes, where a hard link is two names of one node
// and a replaced entry is a new node (lower link partners keep the old one).
// Directories made for missing parents are 0755, root-owned, mtime 0.
// security.selinux and system.nfs4_acl belong to the host and are dropped,
// as the dir applier never sets them.
//
// Not thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backend/composefs/layer_index.h"
#include "erofs/tree.h"
#include "layer/layer_engine.h"

namespace cairn::composefs {

class Merger {
 public:
  Merger();

  // Applies one layer, its index as text (layer_index.h, read entry by
  // entry), on top of what was merged so far. On error the merged state is
  // unspecified: discard the Merger.
  Result<void> apply_text(std::string_view index_text);

  // The merged tree for the image writer: regular files either inline or
  // backed by "XX/YYYY…" objects with their fs-verity digest; link counts
  // counted.
  Result<erofs::Tree> build_tree() const;
  // The same, consuming the merge: its nodes are freed as the tree grows, so
  // that the two never both hold the whole image. The Merger is empty after.
  Result<erofs::Tree> take_tree() &&;

  // A deep copy (hard links stay shared within the copy).
  Merger clone() const;

  // The overlayfs layer that turns LOWER into this tree, for per-layer
  // images: THIS must be a clone of LOWER with one more layer applied. New or
  // replaced entries are included whole, with their subtree; directories
  // replaced by new ones are opaque (user.overlay.opaque = "y", read by the
  // userxattr overlay that stacks the layers, mount.h); entries gone are
  // whiteouts (char 0/0); unchanged entries are left out, and
  // directories only kept for what changed below them. An unchanged file
  // whose hard-link partners changed is included with all its paths
  // (overlayfs cannot link across layers).
  Result<erofs::Tree> build_layer_tree(const Merger& lower) const;

 private:
  struct Node {
    erofs::Inode inode;
    std::map<std::string, std::shared_ptr<Node>> children;
    std::uint64_t id;         // identity across clone(): same id, same inode
    std::uint32_t names = 0;  // names in the merged tree, counted by take_tree
    bool is_dir() const { return S_ISDIR(inode.mode); }
  };
  struct DiffNode;
  class TreeTarget;

  Result<void> apply_one(TreeTarget& target, LayerEngine& engine, const IndexEntry& e);
  struct Taken {
    std::map<const Node*, erofs::InodeId> linked;  // hard-linked nodes already in the tree
    size_t freed = 0;                              // nodes freed since the last trim
  };
  static Result<void> move_children(erofs::Tree& tree, Node& dir, erofs::InodeId dir_id,
                                    Taken& taken);

  std::shared_ptr<Node> new_node(erofs::Inode inode);
  static std::shared_ptr<Node> copy_node(const Node& node,
                                         std::map<const Node*, std::shared_ptr<Node>>& copies);
  using PathsById = std::map<std::uint64_t, std::vector<std::string>>;
  static std::optional<DiffNode> diff(const Node* lower, const Node& upper);
  static void collect_paths(const Node& dir, const std::string& path, PathsById& out);
  void include_path(DiffNode& root, std::string_view path) const;
  void include_relinked(const Merger& lower, DiffNode& root) const;
  static Result<void> add_diff(erofs::Tree& tree, const DiffNode& dir, const std::string& path,
                               std::map<const Node*, std::string>& first_paths,
                               const std::map<const Node*, std::uint32_t>& links);

  std::uint64_t m_next_id = 0;
  std::shared_ptr<Node> m_root;
};

}  // namespace cairn::composefs
