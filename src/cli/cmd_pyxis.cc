// `cairn pyxis-importer get URI` / `release`: the importer interface of
// pyxis (Slurm's container plugin, `importer=` in plugstack.conf). `get`
// imports URI into the store once (named URI, as pyxis spelled it), exports
// the image as an enroot squashfs once into ROOT/pyxis/<image-hex>.sqsh and
// prints that path; later gets of the same URI are served from the name and
// the cache without touching the source. `release` has nothing to undo: the
// cache is shared by jobs; `gc` drops the squashfs of removed images.
// doc/pyxis.md.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>

#include "cli/command.h"
#include "cli/export_image.h"
#include "cli/pyxis_cache.h"
#include "oci/enroot.h"
#include "source/source.h"
#include "store/import.h"
#include "util/sys.h"

namespace cairn::cli {
namespace {

// The image named URI, importing it under that name if there is none.
Result<ImageRecord> image_for(const std::string& uri, const GlobalOptions& global) {
  {
    ASSIGN_OR_RETURN(auto store, open_store_to_list(global));
    auto found = store ? store->metadata().resolve_image(uri)
                       : Result<ImageRecord>(fail(Errc::not_found, uri));
    if (found || !found.error().is(Errc::not_found)) return found;
  }
  ASSIGN_OR_RETURN(std::string source, cairn_uri_from_enroot(uri));
  ASSIGN_OR_RETURN(ImagePlan plan, plan_image(source, SourceOptions{}));
  ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_write));
  ASSIGN_OR_RETURN(ImportResult imported, import_image(*store, plan, ImportOptions{uri}));
  return store->metadata().resolve_image(imported.image_id.str());
}

// pyxis wants an absolute path, and --root may be relative.
Result<std::string> absolute(const std::string& path) {
  std::unique_ptr<char, decltype(&std::free)> resolved(::realpath(path.c_str(), nullptr),
                                                       &std::free);
  if (!resolved) return fail_errno(errno, "realpath " + path);
  return std::string(resolved.get());
}

// An exclusive flock on PATH for the life of the object.
Result<UniqueFd> lock_file(const std::string& path) {
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open(path, O_RDWR | O_CREAT, 0600));
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return fail_errno(errno, "flock " + path);
  }
  return fd;
}

// ROOT/pyxis/<hex>.sqsh, exported unless it is there; one exporter at a time.
Result<std::string> cached_squashfs(const ImageRecord& image, const GlobalOptions& global) {
  ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_only));
  TRY(sys::make_dirs(store->root() + "/pyxis", 0755));
  ASSIGN_OR_RETURN(const std::string dir, absolute(store->root() + "/pyxis"));
  const std::string base = dir + "/" + std::string(image.id.hex());
  const std::string path = base + ".sqsh";
  ASSIGN_OR_RETURN(UniqueFd lock, lock_file(base + ".lock"));
  ASSIGN_OR_RETURN(bool cached, sys::exists(path));
  if (!cached) TRY(export_image(*store, image, ExportFormat::squashfs, path));
  return path;
}

Result<void> run_get(const std::string& uri, const GlobalOptions& global) {
  ASSIGN_OR_RETURN(ImageRecord image, image_for(uri, global));
  ASSIGN_OR_RETURN(std::string path, cached_squashfs(image, global));
  std::printf("%s\n", path.c_str());
  return {};
}

}  // namespace

Result<void> prune_pyxis_cache(Store& store) {
  const std::string dir = store.root() + "/pyxis";
  ASSIGN_OR_RETURN(bool present, sys::exists(dir));
  if (!present) return {};
  ASSIGN_OR_RETURN(std::vector<ImageRecord> images, store.metadata().list_images());
  std::set<std::string, std::less<>> kept;
  for (const ImageRecord& image : images) kept.insert(std::string(image.id.hex()) + ".sqsh");
  ASSIGN_OR_RETURN(std::vector<std::string> names, sys::list_directory(dir));
  for (const std::string& name : names) {
    if (!name.ends_with(".sqsh") || kept.contains(name)) continue;
    const std::string path = dir + "/" + name;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return fail_errno(errno, "unlink " + path);
  }
  return {};
}

Action define_pyxis_importer(CLI::App& command, const GlobalOptions& global) {
  command.require_subcommand(1);
  auto uri = std::make_shared<std::string>();
  CLI::App* get = command.add_subcommand(
      "get", "Import URI once, export it once as a squashfs, print the squashfs's path");
  get->add_option("uri", *uri, "docker://[USER@][REGISTRY#]IMAGE[:TAG], or a cairn source URI")
      ->required();
  command.add_subcommand("release", "Nothing to clean up: the squashfs cache is shared (exit 0)");
  return [get, uri, &global]() -> Result<void> {
    if (get->parsed()) return run_get(*uri, global);
    return {};
  };
}

}  // namespace cairn::cli
