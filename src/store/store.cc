#include "store/store.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "backend/btrfs/btrfs_backend.h"
#include "backend/composefs/composefs_backend.h"
#include "backend/dir/dir_backend.h"
#include "backend/zfs/zfs_backend.h"
#include "store/layer_keeping.h"
#include "util/sys.h"

namespace cairn {
namespace {

// The recorded backend; for a new store the requested one, else the default
// (recorded with why, for `cairn info`). CREATED is set when nothing was recorded.
Result<std::string> choose_backend(Metadata& metadata, const std::string& root,
                                   const std::string& requested,
                                   std::optional<BackendChoice>& created) {
  ASSIGN_OR_RETURN(auto recorded, metadata.setting("backend"));
  if (recorded) {
    if (!requested.empty() && requested != *recorded) {
      return fail(Errc::usage, "store was created with backend \"" + *recorded + "\", not \"" +
                                   requested + "\"");
    }
    return *recorded;
  }
  created = requested.empty() ? default_backend(root)
                              : BackendChoice{requested, "asked for when the store was created"};
  // dir keeps no per-layer data: only kept blobs can give its layers back.
  const std::pair<std::string, std::string> settings[] = {
      {"backend", created->name},
      {"backend.reason", created->reason},
      {std::string(k_keep_blobs_setting), created->name == "dir" ? "true" : "false"}};
  TRY(metadata.set_settings(settings));
  return created->name;
}

Result<std::string> choose_composefs_mode(Metadata& metadata, const std::string& requested) {
  ASSIGN_OR_RETURN(auto recorded, metadata.setting("composefs.mode"));
  if (recorded) return requested.empty() ? *recorded : requested;
  std::string chosen = requested.empty() ? "flat" : requested;
  TRY(composefs::parse_mode(chosen));
  TRY(metadata.set_setting("composefs.mode", chosen));
  return chosen;
}

// The composefs.hybrid_min_images setting: the requested one for this open,
// else the recorded one, else the default (recorded).
Result<size_t> choose_hybrid_min_images(Metadata& metadata, const std::string& requested) {
  ASSIGN_OR_RETURN(auto recorded, metadata.setting("composefs.hybrid_min_images"));
  std::string text = !requested.empty() ? requested
                     : recorded         ? *recorded
                                        : std::to_string(composefs::k_default_hybrid_min_images);
  size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 1000000) {
    return fail(Errc::usage,
                "composefs hybrid_min_images must be a number >= 1, not \"" + text + "\"");
  }
  if (!recorded) TRY(metadata.set_setting("composefs.hybrid_min_images", text));
  return value;
}

Result<void> clear_directory(const std::string& path) {
  TRY(sys::remove_tree(path));
  return sys::make_dirs(path, 0700);
}

}  // namespace

Result<std::unique_ptr<Backend>> make_backend(const std::string& name, const std::string& root,
                                              const std::string& composefs_mode,
                                              size_t hybrid_min_images) {
  if (name == "dir") {
    ASSIGN_OR_RETURN(auto backend, DirBackend::open(root));
    return std::unique_ptr<Backend>(std::move(backend));
  }
  if (name == "composefs") {
    ASSIGN_OR_RETURN(composefs::Mode mode,
                     composefs::parse_mode(composefs_mode.empty() ? "flat" : composefs_mode));
    ASSIGN_OR_RETURN(auto backend,
                     composefs::ComposefsBackend::open(root, mode, hybrid_min_images));
    return std::unique_ptr<Backend>(std::move(backend));
  }
  if (name == "btrfs") {
    ASSIGN_OR_RETURN(auto backend, BtrfsBackend::open(root));
    return std::unique_ptr<Backend>(std::move(backend));
  }
  if (name == "zfs") {
    ASSIGN_OR_RETURN(auto backend, ZfsBackend::open(root));
    return std::unique_ptr<Backend>(std::move(backend));
  }
  return fail(Errc::usage, "unknown backend \"" + name + "\" (known: dir, composefs, btrfs, zfs)");
}

Result<bool> Store::exists(const std::string& root) {
  return sys::exists(root + "/cairn.db");
}

namespace {

// The backend the store records (or, new, gets), configured from its settings.
Result<std::unique_ptr<Backend>> open_backend(Metadata& metadata, const StoreOptions& options,
                                              std::optional<BackendChoice>& created) {
  ASSIGN_OR_RETURN(std::string name,
                   choose_backend(metadata, options.root, options.backend, created));
  std::string mode;
  size_t hybrid_min_images = composefs::k_default_hybrid_min_images;
  bool composefs_settings =
      !options.composefs_mode.empty() || !options.composefs_hybrid_min_images.empty();
  if (created && name != "composefs" && composefs_settings) {
    return fail(Errc::usage,
                "--mode and --hybrid-min apply to the composefs backend, not to a "
                "new " +
                    name + " store (" + created->reason + ")");
  }
  if (name == "composefs") {
    ASSIGN_OR_RETURN(mode, choose_composefs_mode(metadata, options.composefs_mode));
    ASSIGN_OR_RETURN(hybrid_min_images,
                     choose_hybrid_min_images(metadata, options.composefs_hybrid_min_images));
  }
  return make_backend(name, options.root, mode, hybrid_min_images);
}

}  // namespace

Result<std::unique_ptr<Store>> Store::open(const StoreOptions& options, Access access) {
  if (options.root.empty()) return fail(Errc::usage, "no store root given");
  ASSIGN_OR_RETURN(bool present, exists(options.root));
  if (!present && access == Access::read_only) {
    return fail(Errc::not_found, "no store at " + options.root + " (the first import creates it)");
  }
  ASSIGN_OR_RETURN(bool root_present, sys::exists(options.root));
  TRY(sys::make_dirs(options.root, 0700));
  // Declared before the lock and the database: on failure they close first.
  std::optional<NewStoreFiles> new_files;
  std::optional<StoreLock> lock;
  if (access == Access::read_write) {
    ASSIGN_OR_RETURN(lock, StoreLock::acquire(options.root + "/lock", LockMode::exclusive));
    ASSIGN_OR_RETURN(present, exists(options.root));  // again, now that no one else writes
    if (!present) new_files.emplace(options.root, !root_present);
    TRY(clear_directory(options.root + "/tmp"));
  }
  ASSIGN_OR_RETURN(Metadata metadata, Metadata::open(options.root + "/cairn.db"));
  std::optional<BackendChoice> created;
  ASSIGN_OR_RETURN(auto backend, open_backend(metadata, options, created));
  if (access == Access::read_write) TRY(backend->recover());
  auto store = std::make_unique<Store>(options.root, std::move(lock), std::move(metadata),
                                       std::move(backend));
  if (new_files) store->m_new_files.emplace(std::move(*new_files));
  store->m_created = std::move(created);
  store->m_limits = options.limits;
  return store;
}

Store::~Store() {
  if (!m_new_files) return;
  auto holds = holds_anything();
  if (!holds || *holds) {
    m_new_files->keep();
  } else if (!m_backend->remove_layout()) {
    m_new_files->keep();
  }
}

Result<bool> Store::holds_anything() {
  ASSIGN_OR_RETURN(auto images, m_metadata.list_images());
  ASSIGN_OR_RETURN(auto containers, m_metadata.list_containers());
  return !images.empty() || !containers.empty();
}

namespace {

// Removes the files in DIR named "<hex><suffix>" whose digest is not in KEEP.
Result<void> remove_unreferenced(const std::string& dir, std::string_view suffix,
                                 const std::set<std::string>& keep) {
  ASSIGN_OR_RETURN(bool present, sys::exists(dir));
  if (!present) return {};
  ASSIGN_OR_RETURN(auto names, sys::list_directory(dir));
  for (const std::string& name : names) {
    if (!name.ends_with(suffix)) continue;
    std::string hex = name.substr(0, name.size() - suffix.size());
    if (!Digest::is_hex(hex) || keep.contains("sha256:" + hex)) continue;
    std::string path = dir + "/" + name;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return fail_errno(errno, "unlink " + path);
  }
  return {};
}

}  // namespace

// Tar-split records and kept blobs (store/layer_keeping.h) go with the last
// image whose layers they are.
Result<void> Store::collect_garbage() {
  TRY(collect_unnamed());
  return clear_directory(m_root + "/tmp");
}

Error Store::undo_import(Error cause) {
  auto collected = collect_unnamed();
  if (collected) return cause;
  return Error(cause.code(), cause.context() + " (removing what the import published failed too: " +
                                 collected.error().message() + ")");
}

Result<void> Store::collect_unnamed() {
  ASSIGN_OR_RETURN(auto images, m_metadata.list_images());
  std::set<Digest> keep;
  std::set<std::string> diff_ids;
  std::set<std::string> blobs;
  for (const ImageRecord& image : images) {
    keep.insert(image.top_chain);
    for (const LayerRecord& layer : image.layers) {
      diff_ids.insert(layer.diff_id.str());
      if (layer.blob_digest) blobs.insert(layer.blob_digest->str());
    }
  }
  TRY(m_backend->collect(keep));
  TRY(remove_unreferenced(m_root + "/tar-split", ".tar-split.gz", diff_ids));
  return remove_unreferenced(m_root + "/blobs/sha256", "", blobs);
}

}  // namespace cairn
