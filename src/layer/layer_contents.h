// Where the contents of a layer's regular files come from when the layer's
// tar is put together again from its tar-split record (source/tar_split.h,
// layer/tar_split_recorder.h): the record holds the tar's own bytes and, for
// each regular file, only a reference (name, size, sha256); a LayerContents
// gives the bytes of that file.
//
// A reference is identified by the member name as the tar had it, its
// canonical path (layer/oci_path.h; the name itself when it has none) and
// its occurrence: how many earlier references of the same record had the
// same canonical path. A layer may hold one path several times (a file
// written twice); the n-th reference of a path is the n-th regular-file
// entry of that path the layer's sink saw, because the recorder writes a
// reference for exactly the members the tar reader delivers as regular files
// (a size-0 one where it kept the content as raw bytes). Backends that keep
// the layer's entries (composefs' layer index) use the occurrence; backends
// that keep only a tree (btrfs/zfs snapshots, dir) give what the tree holds
// at the path, and the reader's sha256 check tells whether it is the same.
//
// Implementations: composefs (backend/composefs/layer_contents.cc),
// TreeContents below (btrfs, zfs, dir), docker's unpacked layer directories
// (source/tar_split.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "util/error.h"
#include "util/reader.h"
#include "util/unique_fd.h"

namespace cairn {

struct ContentRef {
  std::string name;       // as the tar had it
  std::string path;       // canonical ("a/b"), or `name` if it has no canonical form
  size_t occurrence = 0;  // earlier references with the same path
  std::uint64_t size = 0;
};

// Numbers references in record order (see above).
class ContentCounter {
 public:
  ContentRef next(std::string name, std::uint64_t size);

 private:
  std::map<std::string, size_t> m_seen;
};

class LayerContents {
 public:
  virtual ~LayerContents() = default;
  // A Reader of REF's content: exactly ref.size bytes. Errc::not_found when
  // the backend does not hold it (any more); other codes for I/O errors.
  virtual Result<std::unique_ptr<Reader>> open(const ContentRef& ref) = 0;
  // The error for a content whose sha256 is not the recorded one; DETAIL
  // names both digests. Default: Errc::digest_mismatch (the store is
  // corrupt). Tree backends say Errc::not_found: the tree holds a later
  // version of the file.
  virtual Error mismatch(const ContentRef& ref, const std::string& detail) const;
};

// The files of a directory tree, by canonical path, resolved inside the tree
// (openat2 RESOLVE_IN_ROOT, so symlinks of the tree lead where the layer's
// apply led, and never out). A path that is missing, not a regular file, or
// not of the recorded size is Errc::not_found; so is a sha256 mismatch.
class TreeContents final : public LayerContents {
 public:
  // ROOT: an O_DIRECTORY descriptor of the tree; WHAT: names it in errors.
  TreeContents(UniqueFd root, std::string what)
      : m_root(std::move(root)), m_what(std::move(what)) {}
  static Result<std::unique_ptr<LayerContents>> open_tree(const std::string& dir);

  Result<std::unique_ptr<Reader>> open(const ContentRef& ref) override;
  Error mismatch(const ContentRef& ref, const std::string& detail) const override;

 private:
  UniqueFd m_root;
  std::string m_what;
};

}  // namespace cairn
