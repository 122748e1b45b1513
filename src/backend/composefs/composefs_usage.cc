// `cairn df` for the composefs backend (doc/composefs-backend.md, "Disk
// usage"): apparent sizes (st_size) of objects, EROFS files, layer indexes
// and containers' upper directories.
#include <sys/stat.h>

#include <set>

#include "backend/composefs/composefs_backend.h"
#include "backend/tree_bytes.h"
#include "util/sys.h"

namespace cairn::composefs {
namespace {

Result<std::uint64_t> file_size(const std::string& path) {
  ASSIGN_OR_RETURN(struct stat st, sys::stat(path));
  return static_cast<std::uint64_t>(st.st_size);
}

// Sum of the sizes of the files in DIR whose names end in SUFFIX.
Result<std::uint64_t> files_bytes(const std::string& dir, std::string_view suffix) {
  ASSIGN_OR_RETURN(auto names, sys::list_directory(dir));
  std::uint64_t total = 0;
  for (const std::string& name : names) {
    if (!name.ends_with(suffix)) continue;
    ASSIGN_OR_RETURN(std::uint64_t size, file_size(dir + "/" + name));
    total += size;
  }
  return total;
}

}  // namespace

Result<std::vector<UsageItem>> ComposefsBackend::image_usage(const Digest& top) {
  ASSIGN_OR_RETURN(ImageRecipe image, recipe(top));
  std::uint64_t erofs_bytes = 0;
  for (const std::string& name : erofs_names(image)) {
    ASSIGN_OR_RETURN(std::uint64_t size, file_size(images_dir() + "/" + name));
    erofs_bytes += size;
  }
  std::uint64_t index_bytes = 0;
  std::set<erofs::VerityDigest> objects;
  std::set<Digest> seen_layers;
  for (const ChainLink& link : image.chain) {
    if (!seen_layers.insert(link.diff_id).second) continue;
    ASSIGN_OR_RETURN(LayerIndex index, read_index(link.diff_id));
    ASSIGN_OR_RETURN(std::uint64_t size, file_size(index_path(link.diff_id)));
    index_bytes += size;
    for (const IndexEntry& e : index.entries) {
      if (e.object) objects.insert(*e.object);
    }
  }
  std::uint64_t object_bytes = 0;
  for (const erofs::VerityDigest& object : objects) {
    ASSIGN_OR_RETURN(std::uint64_t size, file_size(m_objects.path_of(object)));
    object_bytes += size;
  }
  return std::vector<UsageItem>{
      {"object_bytes", object_bytes}, {"erofs_bytes", erofs_bytes}, {"index_bytes", index_bytes}};
}

Result<std::vector<UsageItem>> ComposefsBackend::total_usage() {
  std::uint64_t object_bytes = 0;
  ASSIGN_OR_RETURN(auto objects, m_objects.list());
  for (const erofs::VerityDigest& object : objects) {
    ASSIGN_OR_RETURN(std::uint64_t size, file_size(m_objects.path_of(object)));
    object_bytes += size;
  }
  ASSIGN_OR_RETURN(std::uint64_t erofs_bytes, files_bytes(images_dir(), ".cfs"));
  ASSIGN_OR_RETURN(std::uint64_t index_bytes, files_bytes(m_dir + "/layers", ".index"));
  std::uint64_t container_bytes = 0;
  ASSIGN_OR_RETURN(auto containers, container_names());
  for (const std::string& name : containers) {
    ASSIGN_OR_RETURN(std::uint64_t bytes, tree_bytes(m_containers + "/" + name + "/upper"));
    container_bytes += bytes;
  }
  return std::vector<UsageItem>{{"object_bytes", object_bytes},
                                {"erofs_bytes", erofs_bytes},
                                {"index_bytes", index_bytes},
                                {"container_bytes", container_bytes}};
}

}  // namespace cairn::composefs
