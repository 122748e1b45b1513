#include "support/recording_sink.h"

namespace cairn::test {

Result<void> RecordingSink::add(const TarEntry& entry, EntryData& data) {
  if (fail_at && fail_at->first == entries.size()) return fail(fail_at->second);
  RecordedEntry rec{entry, {}, {}};
  while (read_content) {
    ASSIGN_OR_RETURN(auto block, data.next_block());
    if (!block) break;
    if (rec.content.size() < block->offset) rec.content.resize(block->offset, '\0');
    rec.content.append(reinterpret_cast<const char*>(block->bytes.data()), block->bytes.size());
    rec.blocks.emplace_back(block->offset, block->bytes.size());
  }
  if (read_content && rec.content.size() < entry.size) rec.content.resize(entry.size, '\0');
  entries.push_back(std::move(rec));
  return {};
}

Result<void> RecordingSink::finish() {
  finished = true;
  return {};
}

}  // namespace cairn::test
