// libFuzzer target: the tar reader (layer/tar_reader.h) on arbitrary bytes,
// every entry's content read to its end, at most a bounded number of entries.
#include <cstddef>
#include <cstdint>

#include "layer/tar_reader.h"
#include "util/reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  cairn::MemoryReader source(std::span(reinterpret_cast<const std::byte*>(data), size));
  auto reader = cairn::TarReader::open(source);
  if (!reader) return 0;
  for (int entries = 0; entries < 10000; ++entries) {
    auto entry = (*reader)->next();
    if (!entry || !*entry) break;
    for (;;) {
      auto block = (*reader)->data().next_block();
      if (!block || !*block) break;
    }
  }
  return 0;
}
