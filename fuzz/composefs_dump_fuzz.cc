// libFuzzer target: composefs dump files (erofs/dump_reader.h), strict and
// lenient, and every tree they give written by the EROFS image writer
// (erofs/writer.h) into a sink that only counts.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "erofs/dump_reader.h"
#include "erofs/writer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (auto mode : {cairn::erofs::DumpParse::strict, cairn::erofs::DumpParse::lenient}) {
    auto tree = cairn::erofs::parse_dump(text, mode);
    if (!tree) continue;
    cairn::erofs::NullImageSink sink;
    (void)cairn::erofs::write_composefs_image(*tree, cairn::erofs::WriteOptions{}, sink);
  }
  return 0;
}
