// A composefs image read without mounting it: the layer indexes of its chain
// merged in memory (the layer engine's in-memory target, merge.h), and file
// contents taken from the index (inline) or the object store.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/composefs/composefs_backend.h"
#include "erofs/tree.h"
#include "store/metadata.h"

namespace cairn::testing {

class ComposefsFiles {
 public:
  // The image whose layers are LAYERS (bottom first), as BACKEND stores it.
  static Result<ComposefsFiles> open(composefs::ComposefsBackend& backend,
                                     const std::vector<LayerRecord>& layers);

  // The content of the regular file at PATH ("etc/passwd"); nullopt when
  // nothing is there.
  Result<std::optional<std::string>> read(std::string_view path) const;

 private:
  ComposefsFiles(erofs::Tree tree, std::string objects_dir)
      : m_tree(std::move(tree)), m_objects_dir(std::move(objects_dir)) {}

  erofs::Tree m_tree;
  std::string m_objects_dir;
};

}  // namespace cairn::testing
