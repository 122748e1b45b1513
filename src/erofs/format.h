// On-disk constants of composefs EROFS images (doc/composefs-format.md) and
// little-endian encoding helpers. Internal to src/erofs/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::erofs::format {

inline constexpr std::uint32_t k_composefs_magic = 0xd078629a;
inline constexpr std::uint32_t k_composefs_header_version = 1;
inline constexpr std::uint32_t k_flag_has_acl = 1;
inline constexpr size_t k_composefs_header_size = 32;

inline constexpr std::uint32_t k_erofs_magic = 0xE0F5E1E2;
inline constexpr std::uint64_t k_super_offset = 1024;
inline constexpr size_t k_super_size = 128;
inline constexpr std::uint32_t k_feature_compat_mtime = 0x2;
inline constexpr std::uint32_t k_feature_compat_xattr_filter = 0x4;

inline constexpr std::uint64_t k_block_size = 4096;
inline constexpr std::uint8_t k_block_bits = 12;
inline constexpr std::uint64_t k_slot_size = 32;
inline constexpr size_t k_compact_inode_size = 32;
inline constexpr size_t k_extended_inode_size = 64;

inline constexpr std::uint16_t k_layout_flat_plain = 0;
inline constexpr std::uint16_t k_layout_flat_inline = 2;
inline constexpr std::uint16_t k_layout_chunk_based = 4;
inline constexpr std::uint32_t k_chunk_blkbits_mask = 0x1f;
inline constexpr std::uint32_t k_null_addr = 0xFFFFFFFF;

inline constexpr size_t k_dirent_size = 12;
inline constexpr size_t k_xattr_header_size = 12;
inline constexpr size_t k_xattr_entry_size = 4;
inline constexpr size_t k_max_shared_per_inode = 128;
inline constexpr std::uint32_t k_xattr_filter_seed = 0x25BBE08F;

inline constexpr std::string_view k_overlay_prefix = "trusted.overlay.";
inline constexpr std::string_view k_overlay_escaped_prefix = "trusted.overlay.overlay.";

enum class DirentType : std::uint8_t {
  unknown = 0,
  regular = 1,
  directory = 2,
  char_device = 3,
  block_device = 4,
  fifo = 5,
  socket = 6,
  symlink = 7,
};

constexpr std::uint64_t round_up(std::uint64_t v, std::uint64_t align) {
  return (v + align - 1) / align * align;
}

// Appends little-endian integers to a byte string.
inline void put_u8(std::string& out, std::uint8_t v) {
  out.push_back(static_cast<char>(v));
}
inline void put_le16(std::string& out, std::uint16_t v) {
  for (int i = 0; i < 2; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
inline void put_le32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
inline void put_le64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
inline void put_zeros(std::string& out, size_t n) {
  out.append(n, '\0');
}

// The EROFS name index of an xattr and the part of its name stored after
// the index's prefix ("user.foo" → 1, "foo").
struct XattrName {
  std::uint8_t index;
  std::string_view suffix;
};
XattrName split_xattr_name(std::string_view name);

// Bytes one xattr entry takes: header, name suffix, value, padded to 4.
std::uint64_t xattr_entry_size(std::string_view name, std::string_view value);

// xxHash32 of `data` with `seed` (the EROFS xattr name filter hash).
std::uint32_t xxh32(std::string_view data, std::uint32_t seed);

}  // namespace cairn::erofs::format
