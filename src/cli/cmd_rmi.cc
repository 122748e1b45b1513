// `cairn rmi [-f] REF...`: a name removes that name, and the image with it
// once no name is left; an id removes the image and all its names. The
// image's data is reclaimed at once unless another image still needs it. An
// image a container uses, or that is mounted, is not removed (Errc::busy,
// exit 5) unless -f, which removes those containers and unmounts it first,
// as `podman rmi -f` does. Every REF is
// tried; the first error is returned, later ones are printed as they come.
#include <algorithm>
#include <cstdio>

#include "cli/command.h"
#include "cli/mount_table.h"

namespace cairn::cli {
namespace {

struct RmiArgs {
  std::vector<std::string> refs;
  bool force = false;
};

Result<void> remove_containers_of(Store& store, const ImageRecord& image) {
  ASSIGN_OR_RETURN(auto containers, store.metadata().list_containers());
  for (const ContainerRecord& container : containers) {
    if (container.image_id != image.id) continue;
    TRY(store.remove_container(container.name));
    std::printf("removed container: %s\n", container.name.c_str());
  }
  return {};
}

// Errc::busy while the image is mounted (cli/mount_table.h); with FORCE it is unmounted.
Result<void> check_unmounted(Store& store, const ImageRecord& image, bool force) {
  ASSIGN_OR_RETURN(auto mounts,
                   mounts_of(store.root(), k_image_mount, std::string(image.top_chain.hex())));
  for (const MountRecord& mount : mounts) {
    if (!force) {
      return fail(Errc::busy, "image " + image.id.str() + " is mounted at " + mount.path +
                                  " (cairn umount it first, or rmi -f)");
    }
    TRY(store.backend().unmount(mount.path));
    TRY(forget_mount(store.root(), mount.path));
  }
  return {};
}

Result<void> remove_one(Store& store, const std::string& ref, bool force) {
  Metadata& metadata = store.metadata();
  ASSIGN_OR_RETURN(ImageRecord image, metadata.resolve_image(ref));
  bool by_name = std::find(image.names.begin(), image.names.end(), ref) != image.names.end();
  bool removes_image = !by_name || image.names.size() <= 1;
  if (removes_image && force) TRY(remove_containers_of(store, image));
  if (removes_image) TRY(store.check_image_unused(image));
  if (removes_image) TRY(check_unmounted(store, image, force));
  if (by_name) {
    TRY(metadata.remove_name(ref));
    std::printf("untagged: %s\n", ref.c_str());
    if (!removes_image) return {};
  }
  TRY(metadata.remove_image(image.id));
  std::printf("deleted: %s\n", image.id.str().c_str());
  return {};
}

Result<void> run_rmi(const RmiArgs& args, const GlobalOptions& global) {
  ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_write));
  Result<void> first_error;
  for (const std::string& ref : args.refs) {
    auto removed = remove_one(*store, ref, args.force);
    if (removed) continue;
    if (first_error) {
      first_error = std::move(removed);
    } else {
      std::fprintf(stderr, "cairn: error: %s\n", removed.error().message().c_str());
    }
  }
  TRY(store->collect_garbage());
  return first_error;
}

}  // namespace

Action define_rmi(CLI::App& command, const GlobalOptions& global) {
  auto args = std::make_shared<RmiArgs>();
  command.add_option("image", args->refs, "Image names or ids")->required();
  command.add_flag("-f,--force", args->force, "Also remove the containers that use the image");
  return [args, &global] { return run_rmi(*args, global); };
}

}  // namespace cairn::cli
