// Tree → breadth-first ImageNodes, rewritten the way mkcomposefs prepares a
// tree for overlayfs before laying it out:
//
//   - Existing "trusted.overlay.X" xattrs become "trusted.overlay.overlay.X"
//     (overlayfs unescapes them), so they cannot steer the overlay mount.
//   - A regular file of non-zero size without inline content gets
//     "trusted.overlay.metacopy" (empty, or version 0, length 36, flags 0,
//     hash algorithm 1 and the object's fs-verity digest) and, when it has a
//     backing path, "trusted.overlay.redirect" = "/" + path.
//   - A whiteout (char device 0/0) becomes an empty regular file with
//     "trusted.overlay.overlay.whiteout" and "user.overlay.whiteout"; its
//     directory gets "trusted.overlay.overlay.whiteouts" and
//     "user.overlay.whiteouts", and from version 1 on also
//     "trusted.overlay.overlay.opaque" = "user.overlay.opaque" = "x".
//   - The root gets "trusted.overlay.opaque" = "y", and every name "00".."ff"
//     it lacks becomes a real whiteout (char device 0/0, mode 0644, owner and
//     mtime of the root, its security.selinux if any), hiding lower layers.
//   - Directories list "." and ".."; their link count is 2 + subdirectories.
//
// Nodes are numbered breadth first along primary entries, children in byte
// order of their names; hard links and "."/".." add directory entries only.
#include <algorithm>
#include <array>
#include <map>
#include <optional>

#include "erofs/format.h"
#include "erofs/image_layout.h"
#include "erofs/writer.h"

namespace cairn::erofs::detail {
namespace {

using XattrMap = std::map<std::string, std::string>;

enum class ChildKind { primary, link, stub, self, parent };

struct Child {
  std::string_view name;
  ChildKind kind;
  InodeId inode;  // primary, link
};

// What a breadth-first slot holds before it becomes an ImageNode.
struct Slot {
  std::optional<InodeId> inode;  // nothing for a whiteout stub
  std::uint32_t parent;
};

// "00".."ff", in static storage for the dirents that name them.
std::string_view stub_name(int i) {
  static const std::array<std::string, 256> names = [] {
    static constexpr char k_hex[] = "0123456789abcdef";
    std::array<std::string, 256> out;
    for (int n = 0; n < 256; ++n) out[n] = {k_hex[n >> 4], k_hex[n & 15]};
    return out;
  }();
  return names[i];
}

// A directory's entries in image order.
std::vector<Child> sorted_children(const Tree& tree, InodeId dir, bool with_stubs) {
  std::vector<Child> out;
  for (const auto& [name, entry] : tree.children(dir)) {
    out.push_back({name, entry.kind == EntryKind::primary ? ChildKind::primary : ChildKind::link,
                   entry.inode});
  }
  out.push_back({".", ChildKind::self, 0});
  out.push_back({"..", ChildKind::parent, 0});
  if (with_stubs) {
    for (int i = 0; i < 256; ++i) {
      std::string_view name = stub_name(i);
      if (!tree.children(dir).contains(std::string(name))) {
        out.push_back({name, ChildKind::stub, 0});
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const Child& a, const Child& b) { return a.name < b.name; });
  return out;
}

std::vector<Slot> breadth_first(const Tree& tree, std::vector<std::uint32_t>& node_of) {
  std::vector<Slot> slots{{tree.root(), 0}};
  node_of.assign(tree.inode_count(), UINT32_MAX);
  node_of[tree.root()] = 0;
  for (std::uint32_t i = 0; i < slots.size(); ++i) {
    if (!slots[i].inode || tree.inode(*slots[i].inode).type() != FileType::directory) continue;
    for (const Child& child : sorted_children(tree, *slots[i].inode, i == 0)) {
      if (child.kind == ChildKind::primary) {
        node_of[child.inode] = static_cast<std::uint32_t>(slots.size());
        slots.push_back({child.inode, i});
      } else if (child.kind == ChildKind::stub) {
        slots.push_back({std::nullopt, i});
      }
    }
  }
  return slots;
}

std::string escape_xattr_name(const std::string& name) {
  if (!name.starts_with(format::k_overlay_prefix)) return name;
  return std::string(format::k_overlay_escaped_prefix) +
         name.substr(format::k_overlay_prefix.size());
}

std::string metacopy_value(const Inode& inode) {
  if (!inode.verity_digest) return {};
  std::string value{'\0', '\x24', '\0', '\x01'};
  value.append(reinterpret_cast<const char*>(inode.verity_digest->data()),
               inode.verity_digest->size());
  return value;
}

void fill_from_inode(const Inode& inode, ImageNode& node, XattrMap& xattrs) {
  node.mode = inode.mode;
  node.uid = inode.uid;
  node.gid = inode.gid;
  node.nlink = inode.nlink;
  node.rdev = inode.rdev;
  node.mtime_sec = inode.mtime_sec;
  node.mtime_nsec = inode.mtime_nsec;
  node.size = inode.size;
  node.payload = inode.payload;
  FileType type = inode.type();
  if (type == FileType::symlink) node.size = node.payload.size();
  if (type == FileType::regular && inode.content) node.content = &*inode.content;
  for (const auto& [name, value] : inode.xattrs) xattrs[escape_xattr_name(name)] = value;
  if (type == FileType::regular && node.size > 0 && !node.content) {
    xattrs["trusted.overlay.metacopy"] = metacopy_value(inode);
    if (!node.payload.empty()) {
      xattrs["trusted.overlay.redirect"] = "/" + std::string(node.payload);
    }
  }
}

// Sets NAME to VALUE in XATTRS, kept sorted by name.
void set_xattr(std::vector<NodeXattr>& xattrs, std::string_view name, std::string_view value) {
  auto it = std::lower_bound(xattrs.begin(), xattrs.end(), name,
                             [](const NodeXattr& x, std::string_view n) { return x.name < n; });
  if (it != xattrs.end() && it->name == name) {
    it->value = value;
  } else {
    xattrs.insert(it, {std::string(name), std::string(value), false, 0});
  }
}

// The parent's xattrs are final by then (breadth first: it comes earlier).
void escape_whiteout(ImageNode& node, XattrMap& xattrs, ImageNode& parent, std::uint32_t version) {
  node.mode = S_IFREG | (node.mode & ~std::uint32_t{S_IFMT});
  node.size = 0;
  xattrs["trusted.overlay.overlay.whiteout"] = "";
  xattrs["user.overlay.whiteout"] = "";
  set_xattr(parent.xattrs, "trusted.overlay.overlay.whiteouts", "");
  set_xattr(parent.xattrs, "user.overlay.whiteouts", "");
  if (version >= 1) {
    set_xattr(parent.xattrs, "trusted.overlay.overlay.opaque", "x");
    set_xattr(parent.xattrs, "user.overlay.opaque", "x");
  }
}

void fill_stub(const Inode& root, ImageNode& node, XattrMap& xattrs) {
  node.mode = S_IFCHR | 0644;
  node.uid = root.uid;
  node.gid = root.gid;
  node.mtime_sec = root.mtime_sec;
  node.mtime_nsec = root.mtime_nsec;
  if (auto it = root.xattrs.find("security.selinux"); it != root.xattrs.end()) {
    xattrs[it->first] = it->second;
  }
}

void fill_dirents(const Tree& tree, const std::vector<Slot>& slots,
                  const std::vector<std::uint32_t>& node_of, std::uint32_t index,
                  std::uint32_t& next_stub, ImageNode& node) {
  node.nlink = 2;
  for (const Child& child : sorted_children(tree, *slots[index].inode, index == 0)) {
    std::uint32_t target = 0;
    switch (child.kind) {
      case ChildKind::primary:
      case ChildKind::link: target = node_of[child.inode]; break;
      case ChildKind::self: target = index; break;
      case ChildKind::parent: target = slots[index].parent; break;
      case ChildKind::stub:
        while (slots[next_stub].inode) ++next_stub;
        target = next_stub++;
        break;
    }
    if (child.kind == ChildKind::primary && tree.inode(child.inode).type() == FileType::directory) {
      ++node.nlink;
    }
    node.dirents.push_back({child.name, target});
  }
}

}  // namespace

Result<std::uint32_t> choose_version(const Tree& tree, std::uint32_t min_version,
                                     std::uint32_t max_version) {
  if (min_version > k_max_format_version || max_version > k_max_format_version) {
    return fail(Errc::usage,
                "composefs format version must be at most " + std::to_string(k_max_format_version));
  }
  if (max_version < min_version) max_version = min_version;
  bool has_whiteout = false;
  std::vector<InodeId> stack{tree.root()};
  while (!stack.empty()) {
    InodeId id = stack.back();
    stack.pop_back();
    if (!file_type_of_mode(tree.inode(id).mode)) {
      return fail(Errc::bad_input,
                  "inode with unknown file type " + std::to_string(tree.inode(id).mode));
    }
    has_whiteout = has_whiteout || tree.inode(id).is_whiteout();
    for (const auto& [name, entry] : tree.children(id)) {
      if (entry.kind == EntryKind::primary) stack.push_back(entry.inode);
    }
  }
  return has_whiteout && max_version >= 1 ? std::max(min_version, std::uint32_t{1}) : min_version;
}

Result<std::vector<ImageNode>> flatten_tree(const Tree& tree, std::uint32_t version) {
  std::vector<std::uint32_t> node_of;
  std::vector<Slot> slots = breadth_first(tree, node_of);
  std::vector<ImageNode> nodes(slots.size());
  const Inode& root = tree.inode(tree.root());
  std::uint32_t next_stub = 0;
  for (std::uint32_t i = 0; i < slots.size(); ++i) {
    XattrMap xattrs;
    if (!slots[i].inode) {
      fill_stub(root, nodes[i], xattrs);
    } else {
      const Inode& inode = tree.inode(*slots[i].inode);
      fill_from_inode(inode, nodes[i], xattrs);
      if (inode.is_whiteout()) escape_whiteout(nodes[i], xattrs, nodes[slots[i].parent], version);
      if (inode.type() == FileType::directory) {
        fill_dirents(tree, slots, node_of, i, next_stub, nodes[i]);
      }
    }
    nodes[i].xattrs.reserve(xattrs.size());
    for (auto& [name, value] : xattrs)
      nodes[i].xattrs.push_back({name, std::move(value), false, 0});
  }
  set_xattr(nodes[0].xattrs, "trusted.overlay.opaque", "y");
  return nodes;
}

}  // namespace cairn::erofs::detail
