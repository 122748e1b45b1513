// Applies OCI layers onto a plain directory, exactly as `umoci raw unpack`
// does, and never touches anything outside that directory.
//
// The directory holds the merged result of all lower layers; one DirApplier
// applies one layer on top of it (doc/layer-semantics.md has the rules and
// every place where cairn had to choose). In short:
//   * paths are cleaned lexically and clamped at the root (oci_path.h);
//     symlinks inside paths resolve as if the root were "/" (safe_root.h);
//   * an entry replaces whatever exists at its path (new inode), except that
//     a directory over a directory is updated in place;
//   * whiteouts and opaque markers remove only lower-layer content: paths
//     this layer created (and their ancestors) survive, in whatever order the
//     entries come;
//   * missing parents are created (0755, owned by the caller);
//   * directory times are set in finish(), after all children were written.
//
// Not thread-safe; one instance per layer. Needs root (chown, mknod,
// trusted.* xattrs) for anything but the simplest layers.
#pragma once

#include <time.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "layer/entry_metadata.h"
#include "layer/layer_sink.h"
#include "layer/oci_path.h"
#include "layer/safe_root.h"

namespace cairn {

class DirApplier final : public LayerSink {
  struct Token {};

 public:
  // ROOTFS_DIR must exist. Fails with Errc::unsupported without openat2(2).
  static Result<std::unique_ptr<DirApplier>> open(const std::string& rootfs_dir);

  // Applies one entry. Hostile paths are confined to the root; the few that
  // cannot be (a root entry that is not a directory, a whiteout of "." or
  // "..", a NUL byte) fail with Errc::unsafe_path / Errc::bad_input. A
  // failure leaves the rootfs partly applied: discard it.
  Result<void> add(const TarEntry& entry, EntryData& data) override;
  // Sets the deferred directory times.
  Result<void> finish() override;

  // Xattrs skipped because the filesystem does not support them (ENOTSUP).
  std::uint64_t skipped_xattrs() const { return m_skipped_xattrs; }

  DirApplier(Token, SafeRoot root);

 private:
  struct Times {
    timespec atime;
    timespec mtime;
  };
  // existing_confined: whiteouts and opaque markers, resolved like umoci
  // (SafeRoot::Escape::confine); create: entries, missing parents made.
  enum class Parent { existing_confined, create };

  Result<SafeRoot::Dir> take_parent(const std::string& rel, Parent how);
  void keep_parent(const std::string& rel, SafeRoot::Dir dir, std::uint64_t generation);
  Result<void> apply_root(const TarEntry& entry);
  Result<void> apply_whiteout(const LayerPath& lp);
  Result<void> apply_opaque(const LayerPath& lp);
  Result<void> apply_entry(const LayerPath& lp, const TarEntry& entry, EntryData& data);
  Result<void> create(const SafeRoot::Dir& parent, const std::string& name,
                      const TarEntry& entry, EntryData& data);
  Result<void> create_regular(int dir_fd, const std::string& name, const TarEntry& entry,
                              EntryData& data);
  Result<void> create_directory(const SafeRoot::Dir& parent, const std::string& name,
                                const TarEntry& entry);
  Result<void> create_hardlink(int dir_fd, const std::string& name, const TarEntry& entry);
  Result<void> create_special(int dir_fd, const std::string& name, const TarEntry& entry);
  Result<void> apply_dir_metadata(int fd, const std::string& real, const TarEntry& entry,
                                  OldXattrs old);
  Result<void> write_content(int fd, const TarEntry& entry, EntryData& data);
  Result<void> clobber(int dir_fd, const std::string& name);
  // Runs MAKE (a call returning -1 with errno on failure); when NAME is
  // taken, clobbers it and runs MAKE once more.
  template <typename Make>
  Result<void> replacing(int dir_fd, const std::string& name, const char* what, Make make);
  void invalidate_cache();
  Result<void> prune_lower(int dir_fd, const std::string& dir_real, const std::string& name);
  Result<void> remember_dir_times(const SafeRoot::Dir& dir);
  void mark_upper(std::string real);

  SafeRoot m_root;
  std::optional<std::string> m_cached_rel;
  SafeRoot::Dir m_cached;
  std::uint64_t m_generation = 0;  // bumped when a cached directory may be stale
  std::unordered_set<std::string> m_upper;  // real paths this layer created + ancestors
  std::unordered_map<std::string, Times> m_dir_times;  // real path -> times to set
  std::vector<std::byte> m_buffer;
  std::uint64_t m_skipped_xattrs = 0;
};

}  // namespace cairn
