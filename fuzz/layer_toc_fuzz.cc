// libFuzzer target: the tables of contents of partial pulls and the
// zstd:chunked writer — zstd:chunked annotations and TOCs
// (source/zstd_chunked_toc.h), eStargz footers, TOC members and TOCs
// (source/estargz_toc.h), and the input as a layer tar through
// ZstdChunkedWriter (layer/zstd_chunked_writer.h), whose blob, when it
// accepts the input, must decompress to exactly the input and whose TOC,
// when written, must parse.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "layer/decompress.h"
#include "layer/zstd_chunked_writer.h"
#include "source/estargz_toc.h"
#include "source/zstd_chunked_toc.h"

namespace {

void check_writer(const std::string& tar) {
  using namespace cairn;
  ZstdChunkedWriter writer(std::make_unique<MemoryReader>(tar));
  auto blob = read_all(writer, 16 << 20);
  if (!blob) return;  // not a tar the writer accepts: an error is the right answer
  MemoryReader input(*blob);
  auto inflate = make_decompressor(input, Compression::zstd);
  if (!inflate) std::abort();
  auto back = read_all(**inflate, 16 << 20);
  if (!back || *back != tar) std::abort();
  auto layout = parse_chunked_annotations(writer.annotations(), blob->size(), "fuzz");
  if (!layout) std::abort();
  if (!*layout) return;
  MemoryReader toc(std::string_view(*blob).substr((*layout)->toc.offset, (*layout)->toc.length));
  auto toc_inflate = make_decompressor(toc, Compression::zstd);
  if (!toc_inflate) std::abort();
  auto json = read_all(**toc_inflate, 16 << 20);
  if (!json || !parse_chunked_toc(*json, (*layout)->content_end(), "fuzz")) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)cairn::parse_chunked_toc(text, 1 << 20, "fuzz");
  (void)cairn::parse_estargz_toc(text, 1 << 20, "fuzz");
  (void)cairn::estargz_toc_json(text, "fuzz");
  if (size >= cairn::k_estargz_footer_size) {
    (void)cairn::parse_estargz_footer(
        std::string_view(text).substr(size - cairn::k_estargz_footer_size), 1 << 20, "fuzz");
  }
  check_writer(text);
  return 0;
}
