// `cairn fsck`: whether a store holds every image it records, whole, and
// what interrupted commands left behind (doc/store-format.md, "Checking").
//
// check_store() only reads. It finds two kinds of problem:
//   damaged     committed data that is missing or wrong: the database fails
//               SQLite's integrity or foreign-key check; an image whose
//               top chain the backend does not have; a layer whose files
//               the backend lacks or holds with other content than its
//               tar-split record names (composefs: the layer's tar, rebuilt
//               from the record and the layer's entries, does not hash to
//               its diff_id; btrfs, zfs: a path's last version in the
//               layer's tree differs from the record's); a kept blob
//               that does not hash to its digest; a composefs image whose
//               EROFS files or image digest do not verify.
//   unfinished  what an interrupted command left, which no reader sees and
//               the next mutating command removes: entries in ROOT/tmp,
//               the backend's half-built layers (Backend::unfinished()),
//               container rows without a container (a create that died).
// Each layer is checked once per ChainID. The dir backend keeps only each
// image's merged tree (Backend::contents_kind()), so there only the top
// layer is checked and the rest are counted as unchecked, as are layers
// without a tar-split record (imported by an older cairn). Data no image
// names (what gc removes) is not a problem.
//
// repair_store() (the store open read-write, which has already cleared
// ROOT/tmp and run Backend::recover()) removes the container rows without a
// container and the damaged images — except those a container still uses,
// which it keeps and names — then collects garbage.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "store/store.h"

namespace cairn {

struct StoreCheck {
  size_t images = 0;
  size_t layers = 0;            // layer tars rebuilt and found whole
  size_t unchecked_layers = 0;  // see above
  size_t blobs = 0;             // kept blobs re-hashed
  size_t containers = 0;
  std::vector<std::string> damaged;            // one line each
  std::vector<std::string> unfinished;         // one line each
  std::set<Digest> damaged_images;             // ids
  std::vector<std::string> orphan_containers;  // names of rows without a container
};

Result<StoreCheck> check_store(Store& store);

// Container rows without a container are removed (what else was unfinished
// went when the store was opened read-write); then damaged images go, unless
// a container uses them.
struct StoreRepair {
  std::vector<std::string> lost;  // damaged images removed
  std::vector<std::string> kept;  // damaged images kept because a container uses them
};

Result<StoreRepair> repair_store(Store& store, const StoreCheck& found);

}  // namespace cairn
