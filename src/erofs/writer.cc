#include "erofs/writer.h"

#include "erofs/image_layout.h"
#include "util/sys.h"

namespace cairn::erofs {

Result<void> FdImageSink::write(std::span<const std::byte> data) {
  return sys::write_all(m_fd, data, m_name);
}

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
