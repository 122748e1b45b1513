// The OCI layer semantics, implemented once for every backend: what each
// entry of a layer does to the merged tree below it (doc/layer-semantics.md
// has the rules and where cairn had to choose). The engine works on an
// ApplyTarget (apply_target.h) and never creates an entry itself: for an
// entry it resolves the parent, makes missing parents, removes what the
// entry replaces and says where the entry goes (a Placement); the caller,
// which knows how to write its kind of entry, then creates it there.
//
//   * paths resolve inside the root: symlinks on the way are followed, an
//     absolute one from the root; a ".." that would climb above the root
//     refuses the entry (Errc::unsafe_path), as does an absolute symlink on
//     the way whose target is missing (it most likely means the host's
//     path); a missing target of a relative one is created, like umoci's
//     securejoin. Whiteouts and opaque markers are confined instead (".."
//     stops at the root), as umoci does: they only remove;
//   * an entry replaces whatever is at its path, except that a directory
//     over a directory is updated in place; the root takes only directories;
//   * whiteouts and opaque markers remove only lower-layer content: the
//     paths this layer placed, and their ancestors, survive in any order;
//   * a hard link's target must exist (Errc::bad_input) and not be a
//     directory (EPERM); the final component is never followed.
//
// One engine per layer (what it placed is lower content for the next);
// not thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "layer/apply_target.h"

namespace cairn {

enum class LayerEntryKind { directory, hardlink, other };

struct Placement {
  enum class Action {
    create,      // nothing is at `real` now: create the entry there
    update_dir,  // a directory is at `real`: set the entry's metadata on it
    link,        // nothing is at `real`: hard-link it to `link_real`
  };
  Action action = Action::create;
  std::string real;
  std::string link_real;  // Action::link: an existing non-directory
};

class LayerEngine {
 public:
  explicit LayerEngine(ApplyTarget& target) : m_target(target) {}

  // The entry at canonical path DIR/NAME (both "" for the root) of KIND;
  // LINK_TARGET is a hard link's canonical target path.
  Result<Placement> place(std::string_view dir, std::string_view name, LayerEntryKind kind,
                          std::string_view link_target = {});
  // ".wh.NAME" in canonical DIR: NAME's lower content goes.
  Result<void> whiteout(std::string_view dir, std::string_view name);
  // ".wh..wh..opq" in canonical DIR: the directory's lower contents go.
  Result<void> opaque(std::string_view dir);

 private:
  enum class Escape { refuse, confine };
  enum class Missing { create, absent };

  // The real path of the directory at canonical PATH; nullopt when it is
  // missing or no directory and MISSING is absent.
  Result<std::optional<std::string>> resolve(std::string_view path, Escape escape, Missing missing);
  Result<std::string> entry_parent(std::string_view dir);
  Result<void> remove(const std::string& real, NodeType type);
  Result<void> prune_lower(const std::string& real);
  void mark_upper(std::string real);

  ApplyTarget& m_target;
  std::unordered_set<std::string> m_upper;  // real paths this layer placed + ancestors
  // The last entry parent resolved: canonical dir -> real path. Dropped when
  // a directory or symlink is removed, which may change what it resolves to.
  std::optional<std::pair<std::string, std::string>> m_last_parent;
};

}  // namespace cairn
