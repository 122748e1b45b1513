// cairn mkcomposefs: writes a composefs EROFS image from a dump file, byte
// for byte what `mkcomposefs --from-file` writes (erofs/writer.h).
#include <fcntl.h>

#include <cstdio>
#include <optional>

#include "cli/command.h"
#include "erofs/dump_reader.h"
#include "erofs/writer.h"
#include "layer/decompress.h"
#include "util/sys.h"

namespace cairn::cli {
namespace {

struct MkcomposefsArgs {
  std::string dump;
  std::string image;
  std::optional<std::uint32_t> min_version;
  std::optional<std::uint32_t> max_version;
  bool print_digest = false;
  bool strict = false;
};

Result<erofs::Tree> load_dump(const MkcomposefsArgs& args) {
  erofs::DumpParse mode = args.strict ? erofs::DumpParse::strict : erofs::DumpParse::lenient;
  UniqueFd fd;
  if (args.dump == "-") {
    fd = UniqueFd(::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0));
    if (!fd) return fail_errno(errno, "dup stdin");
  } else {
    ASSIGN_OR_RETURN(fd, sys::open(args.dump, O_RDONLY));
  }
  FdReader file(std::move(fd), args.dump);
  if (!args.dump.ends_with(".gz")) return erofs::read_dump(file, mode);
  ASSIGN_OR_RETURN(auto gunzip, make_decompressor(file, Compression::gzip));
  return erofs::read_dump(*gunzip, mode);
}

// Like mkcomposefs: defaults 0..1 when neither bound is given, else 0.
erofs::WriteOptions write_options(const MkcomposefsArgs& args) {
  erofs::WriteOptions options;
  if (args.min_version || args.max_version) {
    options.min_version = args.min_version.value_or(0);
    options.max_version = args.max_version.value_or(0);
  }
  return options;
}

Result<void> run_mkcomposefs(const MkcomposefsArgs& args) {
  auto tree = load_dump(args);
  if (!tree) return fail(std::move(tree).error().wrap("read dump " + args.dump));
  std::string tmp = args.image + ".partial";
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644));
  erofs::FdImageSink sink(fd.get(), tmp);
  auto info = erofs::write_composefs_image(*tree, write_options(args), sink);
  if (info) {
    if (auto synced = sys::fsync(fd.get(), tmp); !synced) info = fail(std::move(synced).error());
  }
  if (!info) {
    ::unlink(tmp.c_str());
    return fail(std::move(info).error());
  }
  TRY(sys::rename(tmp, args.image));
  if (args.print_digest) std::printf("%s\n", erofs::verity_hex(info->fsverity_digest).c_str());
  return {};
}

}  // namespace

Action define_mkcomposefs(CLI::App& command, const GlobalOptions&) {
  auto args = std::make_shared<MkcomposefsArgs>();
  command.add_option("--from-dump", args->dump, "Dump file to read (\"-\": stdin; *.gz: gzip)")
      ->required();
  command.add_option("--min-version", args->min_version, "Lowest composefs format version");
  command.add_option("--max-version", args->max_version, "Highest composefs format version");
  command.add_flag("--print-digest", args->print_digest, "Print the image's fs-verity digest");
  command.add_flag("--strict", args->strict, "Parse the dump strictly (like CFS_PARSE_STRICT)");
  command.add_option("image", args->image, "Image file to write")->required();
  return [args] { return run_mkcomposefs(*args); };
}

}  // namespace cairn::cli
