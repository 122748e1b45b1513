// Applies OCI layers onto a plain directory, exactly as `umoci raw unpack`
// does, and never touches anything outside that directory.
//
// The directory holds the merged result of all lower layers; one DirApplier
// applies one layer on top of it. What each entry means is decided by the
// layer engine (layer_engine.h, doc/layer-semantics.md); the applier is its
// on-disk target: it walks real paths one component at a time from the
// root's descriptor (O_NOFOLLOW | O_DIRECTORY each, so it cannot leave the
// root whatever it is asked), creates what the engine placed with *at()
// calls on the final component, and sets directory times in finish(), after
// all children were written.
//
// Not thread-safe; one instance per layer. Needs root (chown, mknod,
// trusted.* xattrs) for anything but the simplest layers.
#pragma once

#include <time.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "layer/apply_target.h"
#include "layer/entry_metadata.h"
#include "layer/layer_engine.h"
#include "layer/layer_sink.h"
#include "util/unique_fd.h"

namespace cairn {

class DirApplier final : public LayerSink, private ApplyTarget {
  struct Token {};

 public:
  // ROOTFS_DIR must exist.
  static Result<std::unique_ptr<DirApplier>> open(const std::string& rootfs_dir);

  // Applies one entry. Hostile paths are confined to the root or refused
  // (Errc::unsafe_path / Errc::bad_input, see layer_engine.h). A failure
  // leaves the rootfs partly applied: discard it.
  Result<void> add(const TarEntry& entry, EntryData& data) override;
  // Sets the deferred directory times.
  Result<void> finish() override;

  // Xattrs skipped because the filesystem does not support them (ENOTSUP).
  std::uint64_t skipped_xattrs() const { return m_skipped_xattrs; }

  DirApplier(Token, UniqueFd root, std::string path);

 private:
  struct Times {
    timespec atime;
    timespec mtime;
  };
  // A directory open on the walk from the root: its name and descriptor.
  struct OpenDir {
    std::string name;
    UniqueFd fd;
  };

  // ApplyTarget
  Result<TargetNode> look(const std::string& real) override;
  Result<std::vector<std::string>> list(const std::string& real) override;
  Result<void> remove(const std::string& real) override;
  Result<void> make_dir(const std::string& real) override;

  Result<void> apply(const TarEntry& entry, EntryData& data);
  // The descriptor of directory REAL, kept open with its ancestors until a
  // walk elsewhere: entries come grouped by directory.
  Result<int> dir_fd(const std::string& real);
  // The parent's descriptor of REAL, with the parent's times remembered, as
  // its contents are about to change.
  Result<int> changing_parent(const std::string& real);
  Result<void> create(const Placement& at, const TarEntry& entry, EntryData& data);
  Result<void> create_regular(int dir_fd, const std::string& name, const TarEntry& entry,
                              EntryData& data);
  Result<void> create_directory(int dir_fd, const std::string& name, const std::string& real,
                                const TarEntry& entry);
  Result<void> create_symlink(int dir_fd, const std::string& name, const TarEntry& entry);
  Result<void> create_special(int dir_fd, const std::string& name, const TarEntry& entry);
  Result<void> create_link(const Placement& at);
  Result<void> update_dir(const std::string& real, const TarEntry& entry);
  Result<void> apply_dir_metadata(int fd, const std::string& real, const TarEntry& entry,
                                  OldXattrs old);
  Result<void> write_content(int fd, const TarEntry& entry, EntryData& data);
  Result<void> remember_dir_times(int fd, const std::string& real);

  UniqueFd m_root;
  std::string m_path;  // as given, for error messages
  LayerEngine m_engine;
  std::vector<OpenDir> m_walk;  // the directories from the root to the last one used
  std::unordered_map<std::string, Times> m_dir_times;  // real path -> times to set
  std::vector<std::byte> m_buffer;
  std::uint64_t m_skipped_xattrs = 0;
};

}  // namespace cairn
