#include "support/composefs_files.h"

#include <sys/stat.h>

#include "backend/composefs/merge.h"
#include "util/split.h"
#include "util/sys.h"

namespace cairn::testing {

Result<ComposefsFiles> ComposefsFiles::open(composefs::ComposefsBackend& backend,
                                            const std::vector<LayerRecord>& layers) {
  composefs::Merger merger;
  for (const LayerRecord& layer : layers) {
    ASSIGN_OR_RETURN(std::string index, sys::read_file(backend.index_path(layer.diff_id)));
    TRY(merger.apply_text(index));
  }
  ASSIGN_OR_RETURN(erofs::Tree tree, std::move(merger).take_tree());
  return ComposefsFiles(std::move(tree), backend.objects().dir());
}

Result<std::optional<std::string>> ComposefsFiles::read(std::string_view path) const {
  erofs::InodeId id = m_tree.root();
  for (std::string_view name : split(path, '/')) {
    const auto& children = m_tree.children(id);
    auto it = children.find(std::string(name));
    if (it == children.end()) return std::nullopt;
    id = it->second.inode;
  }
  const erofs::Inode& inode = m_tree.inode(id);
  if (!S_ISREG(inode.mode)) return fail(Errc::bad_input, std::string(path) + " is no file");
  if (inode.content) return *inode.content;
  return sys::read_file(m_objects_dir + "/" + inode.payload);
}

}  // namespace cairn::testing
