// Writes a computed Layout (erofs/image_layout.h) as image bytes, section by
// section, checking that every section starts where the layout put it.
#include <algorithm>

#include "erofs/format.h"
#include "erofs/image_layout.h"

namespace cairn::erofs::detail {
namespace {

using format::k_block_size;

// Counts, hashes and forwards the bytes; buffers small writes.
class Emitter {
 public:
  Emitter(ImageSink& sink, FsVerityHasher& hasher) : m_sink(sink), m_hasher(hasher) {}

  Result<void> write(std::string_view bytes) {
    m_buffer.append(bytes);
    m_offset += bytes.size();
    if (m_buffer.size() >= (1 << 16)) return flush();
    return {};
  }
  Result<void> zeros(std::uint64_t n) { return write(std::string(n, '\0')); }
  Result<void> align(std::uint64_t to) { return zeros(format::round_up(m_offset, to) - m_offset); }
  Result<void> flush() {
    auto bytes = std::as_bytes(std::span(m_buffer));
    m_hasher.update(bytes);
    TRY(m_sink.write(bytes));
    m_buffer.clear();
    return {};
  }
  std::uint64_t offset() const { return m_offset; }

 private:
  ImageSink& m_sink;
  FsVerityHasher& m_hasher;
  std::string m_buffer;
  std::uint64_t m_offset = 0;
};

std::string header(const Layout& layout) {
  std::string out;
  format::put_le32(out, format::k_composefs_magic);
  format::put_le32(out, format::k_composefs_header_version);
  format::put_le32(out, layout.has_acl ? format::k_flag_has_acl : 0);
  format::put_le32(out, layout.version);
  format::put_zeros(out, format::k_composefs_header_size - out.size());
  return out;
}

std::string superblock(const Layout& layout) {
  std::string out;
  format::put_le32(out, format::k_erofs_magic);
  format::put_le32(out, 0);  // checksum (feature not set)
  format::put_le32(out, format::k_feature_compat_mtime | format::k_feature_compat_xattr_filter);
  format::put_u8(out, format::k_block_bits);
  format::put_u8(out, 0);  // sb_extslots
  format::put_le16(out, static_cast<std::uint16_t>(layout.nodes[0].offset / format::k_slot_size));
  format::put_le64(out, layout.nodes.size());
  format::put_le64(out, static_cast<std::uint64_t>(layout.min_mtime_sec));
  format::put_le32(out, layout.min_mtime_nsec);
  format::put_le32(
      out, static_cast<std::uint32_t>(layout.data_start / k_block_size + layout.data_blocks));
  format::put_le32(out, 0);  // meta_blkaddr
  format::put_le32(out, static_cast<std::uint32_t>(layout.inodes_end / k_block_size));
  format::put_zeros(out, format::k_super_size - out.size());
  return out;
}

format::DirentType dirent_type(std::uint32_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return format::DirentType::regular;
    case S_IFDIR: return format::DirentType::directory;
    case S_IFCHR: return format::DirentType::char_device;
    case S_IFBLK: return format::DirentType::block_device;
    case S_IFIFO: return format::DirentType::fifo;
    case S_IFSOCK: return format::DirentType::socket;
    case S_IFLNK: return format::DirentType::symlink;
    default: return format::DirentType::unknown;
  }
}

// One directory block (or the inline tail): dirents, then names.
std::string dirent_chunk(const Layout& layout, const ImageNode& dir, size_t first, size_t end) {
  std::string out;
  auto name_offset = static_cast<std::uint16_t>((end - first) * format::k_dirent_size);
  for (size_t i = first; i < end; ++i) {
    const ImageNode& target = layout.nodes[dir.dirents[i].node];
    format::put_le64(out, target.offset / format::k_slot_size);
    format::put_le16(out, name_offset);
    format::put_u8(out, static_cast<std::uint8_t>(dirent_type(target.mode)));
    format::put_u8(out, 0);
    name_offset = static_cast<std::uint16_t>(name_offset + dir.dirents[i].name.size());
  }
  for (size_t i = first; i < end; ++i) out += dir.dirents[i].name;
  return out;
}

// Splits a directory's entries into its blocks and tail, as layout sized them.
std::vector<std::pair<size_t, size_t>> dirent_groups(const ImageNode& dir) {
  std::vector<std::pair<size_t, size_t>> groups;
  size_t first = 0;
  std::uint64_t used = 0;
  for (size_t i = 0; i < dir.dirents.size(); ++i) {
    std::uint64_t len = format::k_dirent_size + dir.dirents[i].name.size();
    if (used + len > k_block_size) {
      groups.emplace_back(first, i);
      first = i;
      used = 0;
    }
    used += len;
  }
  groups.emplace_back(first, dir.dirents.size());
  return groups;
}

std::uint16_t data_layout(const ImageNode& node) {
  if (node.is_chunked()) return format::k_layout_chunk_based;
  return node.tail_size > 0 ? format::k_layout_flat_inline : format::k_layout_flat_plain;
}

std::uint64_t inode_size_field(const ImageNode& node) {
  switch (node.type_bits()) {
    case S_IFDIR: return node.n_blocks * k_block_size + node.tail_size;
    case S_IFREG:
    case S_IFLNK: return node.size;
    default: return 0;
  }
}

std::uint32_t inode_union(const ImageNode& node) {
  std::uint32_t type = node.type_bits();
  if (type == S_IFCHR || type == S_IFBLK) return static_cast<std::uint32_t>(node.rdev);
  std::uint32_t value = node.n_blocks > 0 ? static_cast<std::uint32_t>(node.block_addr) : 0;
  if (node.is_chunked()) {
    value = (value & 0xFFFF0000) | (chunk_bits(node.size) - format::k_block_bits);
  }
  return value;
}

std::string inode_bytes(const Layout& layout, std::uint32_t index) {
  const ImageNode& node = layout.nodes[index];
  std::string out;
  std::uint16_t icount =
      node.xattr_size == 0
          ? 0
          : static_cast<std::uint16_t>((node.xattr_size - format::k_xattr_header_size) / 4 + 1);
  format::put_le16(out,
                   static_cast<std::uint16_t>(data_layout(node) << 1 | (node.compact ? 0 : 1)));
  format::put_le16(out, icount);
  format::put_le16(out, static_cast<std::uint16_t>(node.mode));
  if (node.compact) {
    format::put_le16(out, static_cast<std::uint16_t>(node.nlink));
    format::put_le32(out, static_cast<std::uint32_t>(inode_size_field(node)));
    format::put_le32(out, 0);
    format::put_le32(out, inode_union(node));
    format::put_le32(out, index);
    format::put_le16(out, static_cast<std::uint16_t>(node.uid));
    format::put_le16(out, static_cast<std::uint16_t>(node.gid));
    format::put_le32(out, 0);
    return out;
  }
  format::put_le16(out, 0);
  format::put_le64(out, inode_size_field(node));
  format::put_le32(out, inode_union(node));
  format::put_le32(out, index);
  format::put_le32(out, node.uid);
  format::put_le32(out, node.gid);
  format::put_le64(out, static_cast<std::uint64_t>(node.mtime_sec));
  format::put_le32(out, node.mtime_nsec);
  format::put_le32(out, node.nlink);
  format::put_zeros(out, 16);
  return out;
}

std::string xattr_entry(const NodeXattr& x) {
  std::string out;
  format::XattrName split = format::split_xattr_name(x.name);
  format::put_u8(out, static_cast<std::uint8_t>(split.suffix.size()));
  format::put_u8(out, split.index);
  format::put_le16(out, static_cast<std::uint16_t>(x.value.size()));
  out += split.suffix;
  out += x.value;
  format::put_zeros(out, format::round_up(out.size(), 4) - out.size());
  return out;
}

std::string xattr_body(const Layout& layout, const ImageNode& node) {
  if (node.xattr_size == 0) return {};
  std::uint32_t filter = 0;
  for (const NodeXattr& x : node.xattrs) {
    format::XattrName split = format::split_xattr_name(x.name);
    filter |= 1U << (format::xxh32(split.suffix, format::k_xattr_filter_seed + split.index) & 31);
  }
  std::string out;
  format::put_le32(out, ~filter);
  format::put_u8(out, static_cast<std::uint8_t>(node.n_shared));
  format::put_zeros(out, 7);
  for (const NodeXattr& x : node.xattrs) {
    if (!x.shared) continue;
    std::uint64_t offset = layout.inodes_end % k_block_size + x.shared_offset;
    format::put_le32(out, static_cast<std::uint32_t>(offset / 4));
  }
  for (const NodeXattr& x : node.xattrs) {
    if (!x.shared) out += xattr_entry(x);
  }
  CHECK(out.size() == node.xattr_size);
  return out;
}

std::string inline_tail(const Layout& layout, const ImageNode& node) {
  if (node.tail_size == 0) return {};
  switch (node.type_bits()) {
    case S_IFDIR: {
      auto groups = dirent_groups(node);
      return dirent_chunk(layout, node, groups.back().first, groups.back().second);
    }
    case S_IFLNK: return std::string(node.payload);
    case S_IFREG:
      if (node.content) return node.content->substr(node.content->size() - node.tail_size);
      return std::string(node.tail_size, '\xff');
    default: return {};
  }
}

Result<void> emit_inodes(const Layout& layout, Emitter& out) {
  for (std::uint32_t i = 0; i < layout.nodes.size(); ++i) {
    const ImageNode& node = layout.nodes[i];
    TRY(out.zeros(node.pad));
    CHECK(out.offset() == node.offset);
    TRY(out.write(inode_bytes(layout, i)));
    TRY(out.write(xattr_body(layout, node)));
    std::string tail = inline_tail(layout, node);
    CHECK(tail.size() == node.tail_size);
    TRY(out.write(tail));
  }
  return out.align(format::k_slot_size);
}

Result<void> emit_data_blocks(const Layout& layout, const ImageNode& node, Emitter& out) {
  CHECK(out.offset() == node.block_addr * k_block_size);
  if (node.type_bits() == S_IFDIR) {
    auto groups = dirent_groups(node);
    for (size_t g = 0; g < node.n_blocks; ++g) {
      TRY(out.write(dirent_chunk(layout, node, groups[g].first, groups[g].second)));
      TRY(out.align(k_block_size));
    }
  } else if (node.type_bits() == S_IFLNK) {
    TRY(out.write(node.payload));
  } else if (node.content) {
    TRY(out.write(std::string_view(*node.content).substr(0, node.n_blocks * k_block_size)));
  } else {
    TRY(out.write(std::string(k_block_size, '\xff')));
  }
  return out.align(k_block_size);
}

}  // namespace

Result<std::uint64_t> emit_image(const Layout& layout, ImageSink& sink, FsVerityHasher& hasher) {
  Emitter out(sink, hasher);
  TRY(out.write(header(layout)));
  TRY(out.zeros(format::k_super_offset - out.offset()));
  TRY(out.write(superblock(layout)));
  TRY(emit_inodes(layout, out));
  CHECK(out.offset() == layout.inodes_end);
  for (const NodeXattr* x : layout.shared_xattrs) TRY(out.write(xattr_entry(*x)));
  CHECK(out.offset() == layout.inodes_end + layout.shared_size);
  TRY(out.align(k_block_size));
  CHECK(out.offset() == layout.data_start);
  for (const ImageNode& node : layout.nodes) {
    if (node.n_blocks > 0) TRY(emit_data_blocks(layout, node, out));
  }
  CHECK(out.offset() == layout.data_start + layout.data_blocks * k_block_size);
  TRY(out.flush());
  return out.offset();
}

}  // namespace cairn::erofs::detail
