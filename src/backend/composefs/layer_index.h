// The layer index of the composefs backend: everything a layer holds except
// the bytes of its larger regular files, which live in the object store
// (backend/composefs/object_store.h). An image is built from the indexes of
// its chain alone, without reading a layer again (backend/composefs/merge.h).
//
// An index is the layer's tar entries in archive order, already classified
// (oci_path.h) and with paths in canonical form, so that the merge can replay
// them with exactly the semantics of the dir applier. File format (text, one
// record per line, doc/composefs-backend.md):
//
//   cairn-composefs-index 1
//   OP PATH MODE UID GID MTIME NSEC SIZE MAJOR MINOR CONTENT [XATTR...]
//   ...
//   end COUNT
//
// OP: f d l h c b p (regular, directory, symlink, hardlink, char and block
// device, fifo), w (whiteout: PATH is what it removes), o (opaque: PATH is the
// directory). PATH is "/" + the canonical path ("/" = the root). MODE is octal
// permission bits (07777). CONTENT: "-" none, "@HEX" a file whose content is
// the object with that fs-verity digest, "=BYTES" inline file content, a
// symlink's target, or a hardlink's canonical target path. XATTR is
// NAME=VALUE. In PATH, BYTES, NAME and VALUE every byte outside 0x21..0x7e,
// and '\' and '=', is written \xHH. The "end" line guards against truncation.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "erofs/fsverity.h"
#include "layer/tar_entry.h"
#include "util/error.h"

namespace cairn::composefs {

inline constexpr std::string_view k_index_magic = "cairn-composefs-index 1";

enum class IndexOp : char {
  regular = 'f',
  directory = 'd',
  symlink = 'l',
  hardlink = 'h',
  char_device = 'c',
  block_device = 'b',
  fifo = 'p',
  whiteout = 'w',
  opaque = 'o',
};

struct IndexEntry {
  IndexOp op = IndexOp::regular;
  std::string path;  // canonical, "" = the root
  std::uint32_t mode = 0;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::int64_t mtime_sec = 0;
  std::uint32_t mtime_nsec = 0;
  std::uint64_t size = 0;
  std::uint32_t dev_major = 0;
  std::uint32_t dev_minor = 0;
  std::optional<erofs::VerityDigest> object;  // regular files stored as objects
  std::string data;                           // inline content, symlink target or hardlink target
  std::vector<Xattr> xattrs;

  bool operator==(const IndexEntry&) const = default;
};

struct LayerIndex {
  std::vector<IndexEntry> entries;
};

std::string serialize_index(const LayerIndex& index);
// Errc::corrupt_store for anything but a complete, well-formed index.
Result<LayerIndex> parse_index(std::string_view text);

// An index written one entry at a time, so that a layer of a million
// entries is held as its text (tens of bytes per entry), not as entries.
class IndexText {
 public:
  IndexText();
  void append(const IndexEntry& entry);
  // The whole index, with its end line, moved out.
  std::string take() &&;

 private:
  std::string m_text;
  size_t m_entries = 0;
};

// Calls VISIT with each entry of TEXT in order, reusing one IndexEntry, and
// fails as parse_index does; a malformed or truncated index is found only
// once the entries before the fault were visited. VISIT's error ends the
// walk and is returned.
Result<void> for_each_index_entry(std::string_view text,
                                  const std::function<Result<void>(const IndexEntry&)>& visit);

}  // namespace cairn::composefs
