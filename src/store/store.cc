#include "store/store.h"

#include <unistd.h>

#include <cerrno>

#include "backend/backend_registry.h"
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

Result<void> clear_directory(const std::string& path) {
  TRY(sys::remove_tree(path));
  return sys::make_dirs(path, 0700);
}

}  // namespace

Result<bool> Store::exists(const std::string& root) {
  return sys::exists(root + "/cairn.db");
}

namespace {

// A backend's settings for one open: the options' requests, the store's
// database for what is recorded.
class StoreBackendSettings final : public BackendSettings {
 public:
  StoreBackendSettings(Metadata& metadata, const std::map<std::string, std::string>& requested)
      : m_metadata(metadata), m_requested(requested) {}
  std::optional<std::string> requested(std::string_view key) const override {
    auto it = m_requested.find(std::string(key));
    if (it == m_requested.end()) return std::nullopt;
    return it->second;
  }
  Result<std::optional<std::string>> recorded(std::string_view key) override {
    return m_metadata.setting(std::string(key));
  }
  Result<void> record(std::string_view key, std::string_view value) override {
    return m_metadata.set_setting(std::string(key), std::string(value));
  }

 private:
  Metadata& m_metadata;
  const std::map<std::string, std::string>& m_requested;
};

// The backend the store records (or, new, gets), configured from its settings.
Result<std::unique_ptr<Backend>> open_backend(Metadata& metadata, const StoreOptions& options,
                                              std::optional<BackendChoice>& created) {
  ASSIGN_OR_RETURN(std::string name,
                   choose_backend(metadata, options.root, options.backend, created));
  for (const auto& [key, value] : options.backend_settings) {
    if (created && !key.starts_with(name + ".")) {
      return fail(Errc::usage, "the setting " + key + " is not one of the " + name +
                                   " backend's, and this new store gets " + name + " (" +
                                   created->reason + ")");
    }
  }
  StoreBackendSettings settings(metadata, options.backend_settings);
  return cairn::open_backend(name, options.root, settings);
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
