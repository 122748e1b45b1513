// libFuzzer target: composefs layer indexes and image recipes as read back
// from a store (backend/composefs/layer_index.h, image_recipe.h), and the OCI
// layer semantics of the merge (backend/composefs/merge.h) on what parses:
// the index applied twice (its whiteouts then meet what it made), the merged
// tree and the per-layer diff written to a counting sink.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "backend/composefs/image_recipe.h"
#include "backend/composefs/layer_index.h"
#include "backend/composefs/merge.h"
#include "erofs/writer.h"

namespace {

void write(const cairn::Result<cairn::erofs::Tree>& tree) {
  if (!tree) return;
  cairn::erofs::NullImageSink sink;
  (void)cairn::erofs::write_composefs_image(*tree, cairn::erofs::WriteOptions{}, sink);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)cairn::composefs::parse_recipe(text);
  auto index = cairn::composefs::parse_index(text);
  if (!index || index->entries.size() > 2000) return 0;
  cairn::composefs::Merger merger;
  if (!merger.apply_text(text)) return 0;
  write(merger.build_tree());
  cairn::composefs::Merger lower = merger.clone();
  if (!merger.apply_text(text)) return 0;
  write(merger.build_layer_tree(lower));
  return 0;
}
