#include <fcntl.h>

#include "cli/command.h"
#include "layer/tree_export.h"
#include "util/sys.h"

namespace cairn::cli {
namespace {

struct ExportArgs {
  std::string image;
  std::string output;
};

Result<void> run_export(const ExportArgs& args, const GlobalOptions& global) {
  ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_only));
  ASSIGN_OR_RETURN(ImageRecord image, store->metadata().resolve_image(args.image));
  ASSIGN_OR_RETURN(std::string rootfs, store->backend().rootfs_path(image.top_chain));
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
