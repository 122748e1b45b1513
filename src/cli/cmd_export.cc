#include <fcntl.h>
#include <unistd.h>

#include <utility>

#include "cli/command.h"
#include "layer/tree_export.h"
#include "util/sys.h"
#include "util/temp_dir.h"

namespace cairn::cli {
namespace {

struct ExportArgs {
  std::string image;
  std::string output;
};

// A readable tree of the image: the backend's own (dir), or else a private
// mount under ROOT/mounts that is undone on destruction (composefs).
class ExportView {
 public:
  static Result<ExportView> open(Store& store, const Digest& top) {
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
  ExportView(ExportView&& other) noexcept
      : m_backend(other.m_backend), m_path(std::move(other.m_path)),
        m_mounted(std::exchange(other.m_mounted, false)) {}
  ExportView(const ExportView&) = delete;
  ExportView& operator=(const ExportView&) = delete;
  ExportView& operator=(ExportView&&) = delete;
  ~ExportView() {
    if (m_mounted && m_backend.unmount(m_path)) ::rmdir(m_path.c_str());
  }
  const std::string& path() const { return m_path; }

 private:
  ExportView(Backend& backend, std::string path, bool mounted)
      : m_backend(backend), m_path(std::move(path)), m_mounted(mounted) {}
  Backend& m_backend;
  std::string m_path;
  bool m_mounted;
};

Result<void> run_export(const ExportArgs& args, const GlobalOptions& global) {
  ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_only));
  ASSIGN_OR_RETURN(ImageRecord image, store->metadata().resolve_image(args.image));
  ASSIGN_OR_RETURN(ExportView view, ExportView::open(*store, image.top_chain));
  const std::string& rootfs = view.path();
  std::string tmp = args.output + ".partial";
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644));
  if (auto written = export_tree(rootfs, fd.get()); !written) {
    ::unlink(tmp.c_str());
    return written;
  }
  TRY(sys::fsync(fd.get(), tmp));
  return sys::rename(tmp, args.output);
}

}  // namespace

Action define_export(CLI::App& command, const GlobalOptions& global) {
  auto args = std::make_shared<ExportArgs>();
  command.add_option("image", args->image, "Image name or id")->required();
  command.add_option("-o,--output", args->output, "Tar file to write")->required();
  return [args, &global] { return run_export(*args, global); };
}

}  // namespace cairn::cli
