#include "cli/export_view.h"

#include <unistd.h>

#include "util/sys.h"
#include "util/temp_dir.h"

namespace cairn::cli {

Result<ExportView> ExportView::open(Store& store, const Digest& top) {
  auto path = store.backend().rootfs_path(top);
  if (path || !path.error().is(Errc::unsupported)) {
    TRY(path);
    return ExportView(store.backend(), std::move(*path), false);
  }
  TRY(sys::make_dirs(store.root() + "/mounts", 0700));
  ASSIGN_OR_RETURN(TempDir dir, TempDir::create(store.root() + "/mounts", "export-"));
  TRY(store.backend().mount_image(top, dir.path()));
  return ExportView(store.backend(), dir.release(), true);
}

ExportView::~ExportView() {
  if (m_mounted && m_backend.unmount(m_path)) ::rmdir(m_path.c_str());
}

}  // namespace cairn::cli
