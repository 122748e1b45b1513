// The composefs object store: ROOT/composefs/objects/XX/YYYY…, one file per
// distinct regular-file content, named by the fs-verity SHA-256 digest of
// that content (XX = its first two hex digits, YYYY… the other 62). This is
// the layout overlayfs reads as the data-only lower layer of a composefs
// mount: the image's trusted.overlay.redirect of a file is "/XX/YYYY…".
//
// Objects are immutable: a file is staged elsewhere on the same filesystem
// (ROOT/tmp), made durable by the caller, then renamed into place by adopt();
// an object already present is never opened for writing, so identical
// content of any layer, image or source is stored once. Not thread-safe for
// concurrent writers of the same store (the store lock serializes imports).
#pragma once

#include <set>
#include <string>

#include "erofs/fsverity.h"
#include "util/error.h"

namespace cairn::composefs {

class ObjectStore {
 public:
  explicit ObjectStore(std::string dir) : m_dir(std::move(dir)) {}

  // "XX/YYYY…": the object's path relative to the store directory.
  static std::string relative_path(const erofs::VerityDigest& digest);
  std::string path_of(const erofs::VerityDigest& digest) const;
  const std::string& dir() const { return m_dir; }

  Result<bool> contains(const erofs::VerityDigest& digest) const;
  // Moves the durable file STAGED into place as DIGEST's object (an object
  // already there is replaced: it holds the same bytes). The caller vouches
  // that STAGED's content has that digest. The rename is durable only after
  // the caller syncs the filesystem.
  Result<void> adopt(const std::string& staged, const erofs::VerityDigest& digest);
  // Every object present (names that are not objects are ignored).
  Result<std::set<erofs::VerityDigest>> list() const;
  // Removes DIGEST's object, and its fan-out directory when it was the last.
  Result<void> remove(const erofs::VerityDigest& digest);

 private:
  std::string m_dir;
};

}  // namespace cairn::composefs
