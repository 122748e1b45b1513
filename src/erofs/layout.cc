// Layout of a composefs EROFS image, computed completely before anything is
// written (doc/composefs-format.md):
//
//   [0, 1024)       composefs header, zero padded
//   [1024, 1152)    EROFS superblock
//   [1152, …)       inodes in breadth-first order, each on a 32-byte slot,
//                   followed by its xattr body and its inline tail
//   inodes_end      shared xattr table (meta_blkaddr is block 0, so an inode's
//                   nid is its offset / 32)
//   data_start      data blocks (block aligned), in inode order
//
// Tail packing follows mkcomposefs: a directory's entries fill 4 KiB blocks
// and a last partial block stays inline when it is at most half a block; an
// inline file keeps its last partial block inline under the same rule; a
// backed file stores its chunk index (one 0xFFFFFFFF "hole" per chunk)
// inline; a symlink target is inline. An inode moves forward (by whole slots)
// so that its tail does not cross a block boundary; when even that cannot
// work the tail becomes a data block. Symlinks keep inode and target in one
// block, or put a target that cannot fit in a data block.
#include <algorithm>
#include <map>

#include "erofs/format.h"
#include "erofs/image_layout.h"

namespace cairn::erofs::detail {
namespace {

using format::k_block_size;
using format::round_up;

std::uint64_t ilog2(std::uint64_t v) {
  std::uint64_t r = 0;
  while (v >>= 1) ++r;
  return r;
}

void find_min_mtime(Layout& layout) {
  layout.min_mtime_sec = layout.nodes[0].mtime_sec;
  layout.min_mtime_nsec = layout.nodes[0].mtime_nsec;
  for (const ImageNode& node : layout.nodes) {
    if (node.mtime_sec < layout.min_mtime_sec ||
        (node.mtime_sec == layout.min_mtime_sec && node.mtime_nsec < layout.min_mtime_nsec)) {
      layout.min_mtime_sec = node.mtime_sec;
      layout.min_mtime_nsec = node.mtime_nsec;
    }
    for (const NodeXattr& x : node.xattrs) {
      if (x.name == "system.posix_acl_access" || x.name == "system.posix_acl_default") {
        layout.has_acl = true;
      }
    }
  }
}

// Shared table order: names descending, then longer values first, then
// values descending byte-wise.
bool shared_before(const NodeXattr* a, const NodeXattr* b) {
  if (a->name != b->name) return a->name > b->name;
  if (a->value.size() != b->value.size()) return a->value.size() > b->value.size();
  return a->value > b->value;
}

void share_xattrs(Layout& layout) {
  using Key = std::pair<std::string_view, std::string_view>;
  std::map<Key, std::pair<std::uint32_t, const NodeXattr*>> uses;
  for (const ImageNode& node : layout.nodes) {
    for (const NodeXattr& x : node.xattrs) {
      auto& use = uses[{x.name, x.value}];
      if (use.first++ == 0) use.second = &x;
    }
  }
  for (const auto& [key, use] : uses) {
    if (use.first > 1) layout.shared_xattrs.push_back(use.second);
  }
  std::sort(layout.shared_xattrs.begin(), layout.shared_xattrs.end(), shared_before);
  std::map<Key, std::uint64_t> offsets;
  for (const NodeXattr* x : layout.shared_xattrs) {
    offsets[{x->name, x->value}] = layout.shared_size;
    layout.shared_size += format::xattr_entry_size(x->name, x->value);
  }
  for (ImageNode& node : layout.nodes) {
    for (NodeXattr& x : node.xattrs) {
      auto it = offsets.find({x.name, x.value});
      if (it == offsets.end() || node.n_shared >= format::k_max_shared_per_inode) continue;
      x.shared = true;
      x.shared_offset = it->second;
      ++node.n_shared;
    }
  }
}

void size_directory(ImageNode& node) {
  std::uint64_t blocks = 0;
  std::uint64_t used = 0;
  for (const NodeDirent& d : node.dirents) {
    std::uint64_t len = format::k_dirent_size + d.name.size();
    if (used + len > k_block_size) {
      ++blocks;
      used = 0;
    }
    used += len;
  }
  if (used > k_block_size / 2) {
    ++blocks;
    used = 0;
  }
  node.n_blocks = blocks;
  node.tail_size = used;
}

Result<void> size_data(ImageNode& node) {
  switch (node.type_bits()) {
    case S_IFDIR: size_directory(node); break;
    case S_IFLNK: node.tail_size = node.payload.size(); break;
    case S_IFREG:
      if (node.size == 0) break;
      if (node.content) {
        node.n_blocks = node.size / k_block_size;
        node.tail_size = node.size % k_block_size;
        if (node.tail_size > k_block_size / 2) {
          ++node.n_blocks;
          node.tail_size = 0;
        }
      } else {
        if (chunk_count(node.size) > k_block_size / 4) {
          return fail(Errc::unsupported, "file too large for a composefs image: " +
                                             std::to_string(node.size) + " bytes");
        }
        node.tail_size = 4 * chunk_count(node.size);
      }
      break;
    default: break;
  }
  return {};
}

bool fits_compact(const Layout& layout, const ImageNode& node) {
  if (node.mtime_sec != layout.min_mtime_sec || node.mtime_nsec != layout.min_mtime_nsec) {
    return false;
  }
  if (node.nlink > UINT16_MAX || node.uid > UINT16_MAX || node.gid > UINT16_MAX) return false;
  std::uint64_t size =
      node.type_bits() == S_IFDIR ? node.n_blocks * k_block_size + node.tail_size : node.size;
  return size <= UINT32_MAX;
}

// Padding before an inode at `pos` that keeps its tail inside one block;
// may turn the tail into a data block instead.
std::uint64_t tail_padding(ImageNode& node, std::uint64_t pos, std::uint64_t head) {
  std::uint64_t to_next_block = round_up(pos, k_block_size) - pos;
  if (node.type_bits() == S_IFLNK) {
    std::uint64_t total = head + node.tail_size;
    bool crosses = pos / k_block_size != (pos + total - 1) / k_block_size;
    if (total >= k_block_size) {
      ++node.n_blocks;
      node.tail_size = 0;
    }
    return crosses ? to_next_block : 0;
  }
  std::uint64_t room = k_block_size - (pos + head) % k_block_size;
  if (room >= node.tail_size) return 0;
  std::uint64_t pad = round_up(room, format::k_slot_size);
  if (node.tail_size <= k_block_size - (pos + head + pad) % k_block_size) return pad;
  ++node.n_blocks;
  node.tail_size = 0;
  return to_next_block;
}

std::uint64_t xattr_body_size(const ImageNode& node) {
  if (node.xattrs.empty()) return 0;
  std::uint64_t size = format::k_xattr_header_size + 4 * node.n_shared;
  for (const NodeXattr& x : node.xattrs) {
    if (!x.shared) size += format::xattr_entry_size(x.name, x.value);
  }
  return round_up(size, 4);
}

Result<void> place_inodes(Layout& layout) {
  std::uint64_t pos = format::k_super_offset + format::k_super_size;
  for (ImageNode& node : layout.nodes) {
    TRY(size_data(node));
    node.compact = fits_compact(layout, node);
    node.xattr_size = xattr_body_size(node);
    std::uint64_t head =
        (node.compact ? format::k_compact_inode_size : format::k_extended_inode_size) +
        node.xattr_size;
    std::uint64_t aligned = round_up(pos, format::k_slot_size);
    std::uint64_t extra = tail_padding(node, aligned, head);
    node.pad = aligned - pos + extra;
    node.offset = aligned + extra;
    CHECK(node.tail_size == 0 || (node.offset + head) / k_block_size ==
                                     (node.offset + head + node.tail_size - 1) / k_block_size);
    layout.data_blocks += node.n_blocks;
    pos = node.offset + head + node.tail_size;
  }
  layout.inodes_end = round_up(pos, format::k_slot_size);
  return {};
}

}  // namespace

bool ImageNode::is_chunked() const {
  return type_bits() == S_IFREG && size > 0 && !content;
}

std::uint32_t chunk_bits(std::uint64_t size) {
  std::uint64_t bits = ilog2(size - 1) + 1;
  bits = std::max<std::uint64_t>(bits, format::k_block_bits);
  bits = std::min<std::uint64_t>(bits, format::k_chunk_blkbits_mask + format::k_block_bits);
  return static_cast<std::uint32_t>(bits);
}

std::uint64_t chunk_count(std::uint64_t size) {
  std::uint64_t chunk = std::uint64_t{1} << chunk_bits(size);
  return (size + chunk - 1) / chunk;
}

Result<void> compute_layout(Layout& layout) {
  find_min_mtime(layout);
  share_xattrs(layout);
  TRY(place_inodes(layout));
  layout.data_start = round_up(layout.inodes_end + layout.shared_size, k_block_size);
  std::uint64_t next = layout.data_start / k_block_size;
  for (ImageNode& node : layout.nodes) {
    if (node.n_blocks == 0) continue;
    node.block_addr = next;
    next += node.n_blocks;
  }
  if (next > UINT32_MAX) return fail(Errc::unsupported, "composefs image: too many blocks");
  return {};
}

}  // namespace cairn::erofs::detail
