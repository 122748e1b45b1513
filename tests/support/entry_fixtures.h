// In-memory layer entries for tests of layer sinks, and a canonical listing
// of a directory tree to compare what a sink produced.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "layer/layer_sink.h"
#include "layer/tar_entry.h"
#include "util/error.h"

namespace cairn::testing {

// A TarEntry plus its content as (offset, bytes) blocks.
struct FixtureEntry {
  TarEntry entry;
  std::vector<std::pair<std::uint64_t, std::string>> blocks;

  FixtureEntry& owner(std::uint64_t uid, std::uint64_t gid);
  FixtureEntry& xattr(std::string name, std::string value);
  FixtureEntry& mtime(std::int64_t sec, std::uint32_t nsec = 0);
};

using Layer = std::vector<FixtureEntry>;

FixtureEntry file(std::string path, std::string content = "", std::uint32_t mode = 0644);
// A file of SIZE bytes whose only data are BLOCKS; the rest are holes.
FixtureEntry sparse_file(std::string path, std::uint64_t size,
                         std::vector<std::pair<std::uint64_t, std::string>> blocks);
FixtureEntry dir(std::string path, std::uint32_t mode = 0755);
FixtureEntry symlink(std::string path, std::string target);
FixtureEntry hardlink(std::string path, std::string target);
FixtureEntry fifo(std::string path, std::uint32_t mode = 0644);
FixtureEntry device(std::string path, EntryType type, std::uint32_t major, std::uint32_t minor);
// A whiteout or opaque marker entry: an empty regular file named PATH.
FixtureEntry marker(std::string path);

// Serves the blocks of one FixtureEntry.
class MemoryEntryData final : public EntryData {
 public:
  explicit MemoryEntryData(const FixtureEntry& e) : m_entry(e) {}
  Result<std::optional<DataBlock>> next_block() override;

 private:
  const FixtureEntry& m_entry;
  size_t m_next = 0;
};

// add() for every entry, then finish().
Result<void> apply_layer(LayerSink& sink, const Layer& layer);

// One line per entry below ROOT (not ROOT itself), sorted by path:
//   PATH TYPE MODE UID:GID [="content"|size=N] [->TARGET] [dev=MAJ,MIN]
//   [x:NAME=VALUE]... [hl=FIRST-PATH-OF-ITS-INODE]
// TYPE is one of f d l c b p s; content is shown up to 64 bytes.
std::string list_tree(const std::string& root);

}  // namespace cairn::testing
