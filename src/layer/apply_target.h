// The tree a layer is applied to, as the layer engine (layer_engine.h) sees
// it: the merged lower layers, addressed by real paths. The engine decides
// what every entry does; a target only looks, lists, removes and makes
// directories, and then creates what the engine placed. Two targets exist:
// a directory on disk (layer/dir_apply.h, for dir, btrfs and zfs) and the
// in-memory tree of the composefs merge (backend/composefs/merge.h).
//
// A real path is symlink-free and relative to the root: "a/b/c", "" for the
// root itself, no "." or ".." components. The engine only passes real paths
// whose parents it has looked at and found to be directories; a target must
// still never leave its root, whatever it is given (the disk target resolves
// with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS).
#pragma once

#include <string>
#include <vector>

#include "util/error.h"

namespace cairn {

enum class NodeType { absent, directory, symlink, other };

struct TargetNode {
  NodeType type = NodeType::absent;
  std::string symlink_target;  // for NodeType::symlink
};

class ApplyTarget {
 public:
  virtual ~ApplyTarget() = default;

  // What is at REAL; a symlink there is not followed.
  virtual Result<TargetNode> look(const std::string& real) = 0;
  // The names in directory REAL.
  virtual Result<std::vector<std::string>> list(const std::string& real) = 0;
  // Removes REAL and, for a directory, everything below it.
  virtual Result<void> remove(const std::string& real) = 0;
  // Creates the missing parent directory REAL (nothing is there): mode
  // 0755, owned by the applying user (root on composefs).
  virtual Result<void> make_dir(const std::string& real) = 0;
};

}  // namespace cairn
