// One entry of a layer tar, as the tar reader decoded it and before any OCI
// interpretation (whiteouts, path normalization): the raw path bytes, the
// type, and the metadata every backend needs to recreate it.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "util/error.h"

namespace cairn {

enum class EntryType { regular, hardlink, symlink, directory, char_device, block_device, fifo };

struct Xattr {
  std::string name;
  std::string value;
  bool operator==(const Xattr&) const = default;
};

struct TarEntry {
  std::string path;  // raw bytes from the archive (pax path wins)
  EntryType type = EntryType::regular;
  std::string link_target;  // symlink target, or hardlink target path (raw)
  std::uint32_t mode = 0;   // permission bits incl. setuid/setgid/sticky (07777)
  std::uint64_t uid = 0;
  std::uint64_t gid = 0;
  std::int64_t mtime_sec = 0;
  std::uint32_t mtime_nsec = 0;
  std::uint32_t dev_major = 0;
  std::uint32_t dev_minor = 0;
  std::uint64_t size = 0;     // logical size of a regular file (holes included)
  std::vector<Xattr> xattrs;  // in archive order; names are full ("user.x")
};

// A span of a regular file's content at a byte offset. Bytes between blocks
// are holes (zeros); blocks come in increasing offset order.
struct DataBlock {
  std::uint64_t offset = 0;
  std::span<const std::byte> bytes;
};

// The content of the current regular-file entry. Valid only during the
// LayerSink::add call it is passed to; unread content is skipped.
class EntryData {
 public:
  virtual ~EntryData() = default;
  // The next block, or nullopt at the end of the entry's content. A block's
  // bytes stay valid until the next call.
  virtual Result<std::optional<DataBlock>> next_block() = 0;
};

}  // namespace cairn
