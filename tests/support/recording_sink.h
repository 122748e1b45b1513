// A LayerSink for tests that keeps every entry with its content in memory.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "layer/layer_sink.h"

namespace cairn::test {

struct RecordedEntry {
  TarEntry entry;
  std::string content;  // holes filled with NUL up to entry.size
  std::vector<std::pair<std::uint64_t, std::uint64_t>> blocks;  // offset, length
};

class RecordingSink : public LayerSink {
 public:
  Result<void> add(const TarEntry& entry, EntryData& data) override;
  Result<void> finish() override;

  std::vector<RecordedEntry> entries;
  bool finished = false;
  // When set, add() fails with this error on the entry with this index.
  std::optional<std::pair<size_t, Error>> fail_at;
  // When false, add() leaves the content unread.
  bool read_content = true;
};

}  // namespace cairn::test
