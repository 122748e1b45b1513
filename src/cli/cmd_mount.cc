// `cairn mount NAME [DIR]`: makes a root filesystem readable and prints its
// path on the last line. A container named NAME comes first: its writable
// tree's path is printed (btrfs, zfs: the tree itself; composefs mounts it
// read-write at DIR or ROOT/mounts/containers/NAME). Otherwise NAME is an
// image: for the dir, btrfs and zfs backends its tree is already a directory
// (read it, do not write to it; DIR is refused); the composefs backend mounts
// it read-only, at DIR or ROOT/mounts/<top-chain>. What was mounted is
// recorded (cli/mount_table.h). `cairn mount` with no NAME lists the mounts.
// With --digest HEX an image is mounted only once it re-verifies (its EROFS
// files, layer indexes and objects) to that image digest, the composefs-rs
// rule for trusted mounts.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/mount_table.h"

namespace cairn::cli {
namespace {

// The image's first name, else its short id; the top chain when no image has it.
Result<std::string> image_label(Store& store, const std::string& top_hex) {
  ASSIGN_OR_RETURN(auto images, store.metadata().list_images());
  for (const ImageRecord& image : images) {
    if (image.top_chain.hex() != top_hex) continue;
    return image.names.empty() ? std::string(image.id.short_hex()) : image.names.front();
  }
  return top_hex.substr(0, 12);
}

Result<void> list_mounts(const GlobalOptions& global) {
  ASSIGN_OR_RETURN(auto store, open_store_to_list(global));
  std::vector<MountRecord> mounts;
  if (store) {
    ASSIGN_OR_RETURN(mounts, live_mounts(store->root()));
  }
  nlohmann::json out = nlohmann::json::array();
  if (!global.json) std::printf("%-10s %-30s %s\n", "KIND", "NAME", "PATH");
  for (const MountRecord& mount : mounts) {
    std::string label = mount.what;
    if (mount.kind == k_image_mount) {
      ASSIGN_OR_RETURN(label, image_label(*store, mount.what));
    }
    out.push_back({{"kind", mount.kind}, {"name", label}, {"path", mount.path}});
    if (!global.json) {
      std::printf("%-10s %-30s %s\n", mount.kind.c_str(), label.c_str(), mount.path.c_str());
    }
  }
  if (global.json) std::printf("%s\n", out.dump(2).c_str());
  return {};
}

Result<void> run_mount(const std::string& ref, const std::string& target, const std::string& digest,
                       const GlobalOptions& global) {
  ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_only));
  ASSIGN_OR_RETURN(auto container, store->metadata().find_container(ref));
  MountRecord record;
  Result<std::string> tree = fail(Errc::unsupported, "no tree");  // the backend's own path
  if (container && !digest.empty()) {
    return fail(Errc::usage,
                "mount --digest: " + ref + " is a container; only images have digests");
  }
  if (container) {
    ASSIGN_OR_RETURN(record.path, store->backend().mount_container(ref, target));
    record.kind = k_container_mount;
    record.what = ref;
    tree = store->backend().container_path(ref);
  } else {
    ASSIGN_OR_RETURN(ImageRecord image, store->metadata().resolve_image(ref));
    if (!digest.empty()) {
      ASSIGN_OR_RETURN(ImageIntegrity * integrity,
                       store->backend().require_integrity("mount --digest"));
      TRY(integrity->verify_image_digest(image.top_chain, digest));
    }
    ASSIGN_OR_RETURN(record.path, store->backend().mount_image(image.top_chain, target));
    record.kind = k_image_mount;
    record.what = std::string(image.top_chain.hex());
    tree = store->backend().rootfs_path(image.top_chain);
  }
  // a tree the backend keeps (dir, btrfs, zfs: a zfs dataset is a mount point of its own) is
  // not a mount that `mount` made
  if (!tree || *tree != record.path) TRY(remember_mount(store->root(), record));
  std::printf("%s\n", record.path.c_str());
  return {};
}

}  // namespace

Action define_mount(CLI::App& command, const GlobalOptions& global) {
  auto ref = std::make_shared<std::string>();
  auto target = std::make_shared<std::string>();
  auto digest = std::make_shared<std::string>();
  command.add_option("name", *ref, "Container name, or image name or id (none: list the mounts)");
  command.add_option("dir", *target, "Where to mount an image (default: under the store root)");
  command.add_option("--digest", *digest,
                     "Mount only if the image re-verifies to this image digest (composefs)");
  return [ref, target, digest, &global]() -> Result<void> {
    if (ref->empty()) {
      if (!digest->empty()) return fail(Errc::usage, "mount --digest needs an IMAGE");
      return list_mounts(global);
    }
    return run_mount(*ref, *target, *digest, global);
  };
}

}  // namespace cairn::cli
