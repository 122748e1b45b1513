// The names and magic numbers of the zstd:chunked layer format
// (containers/storage), shared by its reader (source/zstd_chunked_toc.h) and
// its writer (layer/zstd_chunked_writer.h). The format itself is described
// in source/zstd_chunked_toc.h.
#pragma once

#include <cstdint>
#include <string_view>

namespace cairn::zstd_chunked {

// Annotation names are a prefix and a key. Newer writers use the first
// prefix, older ones (containers/image before 5.2x, skopeo 1.9) the second.
inline constexpr std::string_view k_new_prefix = "io.github.containers.zstd-chunked.";
inline constexpr std::string_view k_old_prefix = "io.containers.zstd-chunked.";
inline constexpr std::string_view k_manifest_position = "manifest-position";
inline constexpr std::string_view k_manifest_checksum = "manifest-checksum";
inline constexpr std::string_view k_tarsplit_position = "tarsplit-position";

// The only TOC type there is: CRFS-like JSON.
inline constexpr std::uint64_t k_crfs_toc_type = 1;

// zstd's skippable frames: 4 bytes magic (little-endian), 4 bytes payload length.
inline constexpr std::uint32_t k_skippable_magic = 0x184D2A50;
inline constexpr std::uint64_t k_skippable_header = 8;

// The older footer's payload: the TOC's offset, compressed and uncompressed
// lengths and type (little-endian uint64 each), then this magic.
inline constexpr std::string_view k_footer_magic = "GnUlInUx";

}  // namespace cairn::zstd_chunked
