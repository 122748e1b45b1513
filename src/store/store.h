// A store: one root directory holding the metadata database, the backend's
// data and a staging area.
//
//   ROOT/cairn.db      SQLite metadata (store/metadata.h)
//   ROOT/lock          store lock (store/store_lock.h)
//   ROOT/tmp/          staging; anything here is garbage once no cairn runs
//   ROOT/<backend>/    the backend's own data (e.g. ROOT/dir/images/)
//
// A store remembers the backend it was created with; opening it with another
// one is an error (Errc::usage). Opening with LockMode::exclusive also clears
// ROOT/tmp, which is how leftovers of a killed import are removed.
//
// Only a read-write open creates a store (a read-only one of a missing store
// is Errc::not_found), and a store it created is kept only if it holds an
// image or a container when it is closed: a first command that fails (an
// unknown backend, btrfs asked for on ext4, a bad image) leaves nothing.
// Format details: doc/store-format.md.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "backend/backend.h"
#include "layer/import_limits.h"
#include "store/backend_choice.h"
#include "store/metadata.h"
#include "store/new_store_files.h"
#include "store/store_lock.h"

namespace cairn {

struct StoreOptions {
  std::string root;
  // Empty: the backend recorded in the store, or default_backend() for a new one.
  std::string backend;
  // Backend settings for this open, by key ("<backend>.<name>": e.g.
  // "composefs.mode", backend/composefs/composefs_settings.h); they win over
  // what the store recorded, and the first open records them. A key of
  // another backend than the one a new store gets is Errc::usage.
  std::map<std::string, std::string> backend_settings{};
  // What imports into this store may bring (layer/import_limits.h).
  ImportLimits limits{};
};

enum class Access { read_only, read_write };

class Store {
 public:
  // read_write takes the store lock exclusively for the life of the Store.
  static Result<std::unique_ptr<Store>> open(const StoreOptions& options, Access access);
  // True if ROOT holds a store (its database).
  static Result<bool> exists(const std::string& root);
  // Removes the store again if open() created it and it holds nothing.
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Set if this open created the store: its backend and why it was chosen.
  const std::optional<BackendChoice>& created() const { return m_created; }

  const std::string& root() const { return m_root; }
  const ImportLimits& limits() const { return m_limits; }
  Metadata& metadata() { return m_metadata; }
  Backend& backend() { return *m_backend; }

  // Removes from the backend everything no image needs, and clears ROOT/tmp.
  // A container's image is an image, so containers keep their chains alive.
  Result<void> collect_garbage();
  // For an import that failed after its build began to publish (layers,
  // image files, tar-split records, kept blobs, then the metadata row): removes
  // what no image names, as collect_garbage() does but leaving ROOT/tmp to
  // the staging that owns it, and returns CAUSE (the cleanup's own failure
  // appended to it), so that the store is as it was before the import.
  Error undo_import(Error cause);

  // Containers (store_containers.cc). NAME must match
  // [A-Za-z0-9][A-Za-z0-9_.-]* and be at most 64 characters (Errc::usage);
  // Errc::already_exists if taken. The row is written before the backend
  // creates the container, so a crash leaves at worst a row whose container
  // is missing, which remove_container() clears. Returns the path.
  Result<std::string> create_container(const ImageRecord& image, const std::string& name);
  // Errc::not_found if no such container.
  Result<void> remove_container(const std::string& name);
  // Errc::busy if a container uses IMAGE (read the error for which one).
  Result<void> check_image_unused(const ImageRecord& image);

  Store(std::string root, std::optional<StoreLock> lock, Metadata metadata,
        std::unique_ptr<Backend> backend)
      : m_root(std::move(root)),
        m_lock(std::move(lock)),
        m_metadata(std::move(metadata)),
        m_backend(std::move(backend)) {}

 private:
  Result<bool> holds_anything();
  // collect_garbage() but for ROOT/tmp.
  Result<void> collect_unnamed();

  // First, so that it is destroyed last, after the database and lock are closed.
  std::optional<NewStoreFiles> m_new_files;
  std::optional<BackendChoice> m_created;
  ImportLimits m_limits;
  std::string m_root;
  std::optional<StoreLock> m_lock;
  Metadata m_metadata;
  std::unique_ptr<Backend> m_backend;
};

}  // namespace cairn
