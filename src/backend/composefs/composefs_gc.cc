// Garbage collection of the composefs backend, in three sweeps that each
// only remove what the previous one left unreferenced: images whose top
// chain is not kept (their recipe first, then every EROFS file no kept
// recipe names, flat and per-layer images alike); layer indexes no
// remaining recipe names; objects no remaining index names. An image or
// index that cannot be read keeps everything it might reference: gc fails
// instead of guessing. An image still mounted at its default mount point is
// kept whole (the mount reads its objects) until a gc after its umount; so
// is the image of every container (the store refuses to remove those
// anyway).
#include <dirent.h>
#include <unistd.h>

#include <cerrno>

#include "backend/composefs/composefs_backend.h"
#include "backend/composefs/layer_index.h"
#include "backend/composefs/mount.h"
#include "util/sys.h"

namespace cairn::composefs {
namespace {

// The digest a file NAME of the form <64 hex><SUFFIX> is named by.
std::optional<Digest> digest_named(std::string_view name, std::string_view suffix) {
  if (!name.ends_with(suffix)) return std::nullopt;
  auto digest = Digest::parse("sha256:" + std::string(name.substr(0, name.size() - suffix.size())));
  if (!digest) return std::nullopt;
  return *digest;
}

Result<void> remove_file(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return fail_errno(errno, "unlink " + path);
  return {};
}

}  // namespace

Result<void> ComposefsBackend::collect(const std::set<Digest>& keep_images) {
  std::set<Digest> keep = keep_images;
  ASSIGN_OR_RETURN(auto containers, container_names());
  for (const std::string& name : containers) {
    ASSIGN_OR_RETURN(Digest top, container_image(name));
    keep.insert(top);
  }
  std::set<Digest> live_layers;
  TRY(collect_images(keep, live_layers));
  std::set<erofs::VerityDigest> live_objects;
  TRY(collect_layers(live_layers, live_objects));
  ASSIGN_OR_RETURN(auto objects, m_objects.list());
  for (const erofs::VerityDigest& object : objects) {
    if (!live_objects.contains(object)) TRY(m_objects.remove(object));
  }
  return {};
}

Result<void> ComposefsBackend::collect_images(const std::set<Digest>& keep,
                                              std::set<Digest>& live_layers) {
  std::string dir = m_dir + "/images";
  ASSIGN_OR_RETURN(auto names, sys::list_directory(dir));
  std::set<std::string> live_files;
  for (const std::string& name : names) {
    auto top = digest_named(name, ".chain");
    if (!top) continue;
    ASSIGN_OR_RETURN(std::string mount_point, default_mount_point(*top));
    ASSIGN_OR_RETURN(bool mounted, is_mount_point(mount_point));
    if (!keep.contains(*top) && !mounted) {
      TRY(remove_file(chain_path(*top)));
      TRY(remove_file(signature_path(*top)));
      continue;
    }
    ASSIGN_OR_RETURN(ImageRecipe image, recipe(*top));
    live_files.insert(chain_path(*top));
    for (const std::string& file : erofs_names(image)) live_files.insert(dir + "/" + file);
    for (const ChainLink& link : image.chain) live_layers.insert(link.diff_id);
  }
  for (const std::string& name : names) {
    if (name.ends_with(".cfs") && !live_files.contains(dir + "/" + name)) {
      TRY(remove_file(dir + "/" + name));
    }
  }
  return {};
}

Result<void> ComposefsBackend::collect_layers(const std::set<Digest>& live_layers,
                                              std::set<erofs::VerityDigest>& live_objects) {
  std::string dir = m_dir + "/layers";
  ASSIGN_OR_RETURN(auto names, sys::list_directory(dir));
  for (const std::string& name : names) {
    auto diff_id = digest_named(name, ".index");
    if (!diff_id) continue;
    if (!live_layers.contains(*diff_id)) {
      TRY(remove_file(index_path(*diff_id)));
      continue;
    }
    ASSIGN_OR_RETURN(std::string text, sys::read_file(index_path(*diff_id), size_t{1} << 30));
    auto index = parse_index(text);
    if (!index) return fail(std::move(index).error().wrap(index_path(*diff_id)));
    for (const IndexEntry& e : index->entries) {
      if (e.object) live_objects.insert(*e.object);
    }
  }
  return {};
}

}  // namespace cairn::composefs
