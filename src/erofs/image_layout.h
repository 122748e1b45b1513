// Internal stages of the image writer (erofs/writer.h):
//
//   flatten_tree    Tree → ImageNodes in breadth-first order (they point
//                   into the Tree, which must outlive them), with what
//                   mkcomposefs adds for overlayfs: escaped trusted.overlay.*
//                   xattrs, metacopy/redirect xattrs on backed files, escaped
//                   whiteouts, the opaque root and the 256 "00".."ff" whiteout
//                   stubs, "." and ".." entries.
//   compute_layout  Shared xattr table, inode sizes and positions, tail
//                   packing, data block addresses: every offset of the image.
//   emit_image      Writes the sections in order and checks each offset
//                   against the layout.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "erofs/fsverity.h"
#include "erofs/image_sink.h"
#include "erofs/tree.h"
#include "util/error.h"

namespace cairn::erofs::detail {

struct NodeXattr {
  std::string name;
  std::string value;
  bool shared = false;
  std::uint64_t shared_offset = 0;  // bytes from the start of the shared table
};

struct NodeDirent {
  std::string_view name;  // a name in the Tree, or a static one ("." and the stubs)
  std::uint32_t node;     // index into Layout::nodes
};

struct ImageNode {
  std::uint32_t mode = 0;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint32_t nlink = 1;
  std::uint64_t rdev = 0;
  std::int64_t mtime_sec = 0;
  std::uint32_t mtime_nsec = 0;
  std::uint64_t size = 0;
  std::string_view payload;              // owned by the Tree
  const std::string* content = nullptr;  // owned by the Tree
  std::vector<NodeXattr> xattrs;         // sorted by name
  std::vector<NodeDirent> dirents;       // directories: sorted, with "." and ".."

  // Layout, filled by compute_layout.
  bool compact = false;
  std::uint64_t n_blocks = 0;    // data blocks outside the inode
  std::uint64_t tail_size = 0;   // bytes inline after the inode and xattrs
  std::uint64_t pad = 0;         // zero bytes before the inode
  std::uint64_t offset = 0;      // of the inode in the image
  std::uint64_t xattr_size = 0;  // xattr body (header, shared ids, entries)
  std::uint32_t n_shared = 0;
  std::uint64_t block_addr = 0;  // first data block, when n_blocks > 0

  std::uint32_t type_bits() const { return mode & S_IFMT; }
  bool is_chunked() const;  // regular file backed by an external object
};

struct Layout {
  std::uint32_t version = 0;
  std::vector<ImageNode> nodes;  // breadth-first; nodes[0] is the root
  std::int64_t min_mtime_sec = 0;
  std::uint32_t min_mtime_nsec = 0;
  bool has_acl = false;
  std::vector<const NodeXattr*> shared_xattrs;  // in table order
  std::uint64_t shared_size = 0;
  std::uint64_t inodes_end = 0;  // start of the shared xattr table
  std::uint64_t data_start = 0;
  std::uint64_t data_blocks = 0;
};

// Picks the format version for the tree (writer.h); also checks that every
// inode's mode has a known file type.
Result<std::uint32_t> choose_version(const Tree& tree, std::uint32_t min_version,
                                     std::uint32_t max_version);
Result<std::vector<ImageNode>> flatten_tree(const Tree& tree, std::uint32_t version);
Result<void> compute_layout(Layout& layout);
// Chunk size bits and chunk count of a backed regular file of `size` bytes.
std::uint32_t chunk_bits(std::uint64_t size);
std::uint64_t chunk_count(std::uint64_t size);
Result<std::uint64_t> emit_image(const Layout& layout, ImageSink& sink, FsVerityHasher& hasher);

}  // namespace cairn::erofs::detail
