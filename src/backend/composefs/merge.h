// Flattening layer indexes into one composefs tree, with exactly the OCI
// layer semantics of the dir applier (layer/dir_apply.h,
// doc/layer-semantics.md), but on an in-memory tree instead of a directory:
//
//   * an entry replaces whatever is at its path (a new inode, so lower hard
//     link partners keep the old one), except that a directory over a
//     directory is updated in place and its xattrs made equal to the entry's;
//   * missing parents are created (0755, root-owned, mtime 0); parents
//     resolve through relative symlinks of the merged tree as long as they
//     stay beneath the root; an absolute or escaping symlink on the way
//     fails the merge with Errc::unsafe_path, a non-directory with ENOTDIR;
//   * whiteouts and opaque markers resolve inside the root (an absolute
//     symlink restarts at the root, ".." stops there) and remove only lower
//     content: the paths this layer created and their ancestors survive;
//   * hardlinks share the inode of their (canonical) target, which must
//     exist and not be a directory (Errc::bad_input);
//   * security.selinux and system.nfs4_acl belong to the host and are
//     dropped, as the dir applier never sets them.
//
// Not thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "backend/composefs/layer_index.h"
#include "erofs/tree.h"

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
    std::uint64_t id;  // identity across clone(): same id, same inode
    std::uint32_t names = 0;  // names in the merged tree, counted by take_tree
    bool is_dir() const { return S_ISDIR(inode.mode); }
  };
  struct DiffNode;
  enum class Escape { refuse, confine };
  enum class Missing { create, absent };
  struct Resolved {
    Node* dir = nullptr;
    std::string real;  // canonical symlink-free path of dir
  };

  Result<std::optional<Resolved>> resolve(std::string_view path, Escape escape,
                                          Missing missing);
  Result<void> apply_one(const IndexEntry& e);
  Result<void> apply_entry(const IndexEntry& e);
  Result<void> apply_hardlink(Node& dir, const std::string& name, const IndexEntry& e);
  Result<void> apply_whiteout(const IndexEntry& e);
  Result<void> apply_opaque(const IndexEntry& e);
  void prune_lower(Node& dir, const std::string& dir_real, const std::string& name);
  void mark_upper(const std::string& real);
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
  std::unordered_set<std::string> m_upper;  // real paths this layer created + ancestors
};

}  // namespace cairn::composefs
