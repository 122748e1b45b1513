// `cairn export IMAGE [--format tar|squashfs|oci-archive|docker-archive] [-o FILE|-]`
// (doc/cli.md).
#include <unistd.h>

#include "cli/command.h"
#include "cli/export_image.h"

namespace cairn::cli {
namespace {

struct ExportArgs {
  std::string image;
  std::string format = "tar";
  std::string output;  // empty: stdout, unless it is a terminal
};

// "-" for stdout; a terminal is refused, an archive is no use there.
Result<std::string> output_of(const ExportArgs& args) {
  if (!args.output.empty() && args.output != "-") return args.output;
  if (::isatty(STDOUT_FILENO)) {
    return fail(Errc::usage, "export: refusing to write a " + args.format +
                                 " image to a terminal; give -o FILE or redirect stdout");
  }
  return std::string("-");
}

Result<void> run_export(const ExportArgs& args, const GlobalOptions& global) {
  ASSIGN_OR_RETURN(ExportFormat format, parse_export_format(args.format));
  ASSIGN_OR_RETURN(std::string output, output_of(args));
  ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_only));
  ASSIGN_OR_RETURN(ImageRecord image, store->metadata().resolve_image(args.image));
  return export_image(*store, image, format, output);
}

}  // namespace

Action define_export(CLI::App& command, const GlobalOptions& global) {
  auto args = std::make_shared<ExportArgs>();
  command.add_option("image", args->image, "Image name or id")->required();
  command.add_option("--format", args->format,
                     "tar (pax archive of the rootfs, default), squashfs (enroot's image "
                     "format), oci-archive or docker-archive (the image as imported: same "
                     "config digest and diff_ids)");
  command.add_option("-o,--output", args->output,
                     "File to write; - or none: stdout (refused on a terminal)");
  return [args, &global] { return run_export(*args, global); };
}

}  // namespace cairn::cli
