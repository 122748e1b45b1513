#include "erofs/writer.h"

#include "erofs/image_layout.h"

namespace cairn::erofs {

Result<ImageInfo> write_composefs_image(const Tree& tree, const WriteOptions& options,
                                        ImageSink& sink) {
  detail::Layout layout;
  ASSIGN_OR_RETURN(layout.version,
                   detail::choose_version(tree, options.min_version, options.max_version));
  ASSIGN_OR_RETURN(layout.nodes, detail::flatten_tree(tree, layout.version));
  TRY(detail::compute_layout(layout));
  FsVerityHasher hasher;
  ImageInfo info;
  info.version = layout.version;
  ASSIGN_OR_RETURN(info.size, detail::emit_image(layout, sink, hasher));
  info.fsverity_digest = hasher.finish();
  return info;
}

}  // namespace cairn::erofs
