// In-memory file tree for composefs images.
//
// A Tree holds inodes and the directory entries that name them. It is what
// the image writer (erofs/writer.h) consumes, and what the dump reader
// (erofs/dump_reader.h) and, later, the layer-index backends build.
//
// Model:
//   - Every inode has a full st_mode (file type bits included), owner, link
//     count, device number, mtime, size, and for regular files either inline
//     `content` or a backing object (`payload`, a path relative to the object
//     store such as "ab/cdef…", plus optionally the object's fs-verity
//     digest). For symlinks `payload` is the target.
//   - Extended attributes are a name → value map, kept in byte order of the
//     names (the order the image stores them in).
//   - A directory maps names (byte order, as mkcomposefs sorts them) to
//     entries. The first name an inode is added under is its primary entry;
//     further names are hard links (add_hardlink). Directories cannot be hard
//     linked. The image writer lays inodes out breadth first along primary
//     entries.
//   - Link counts of directories are recomputed by the writer (2 + number of
//     subdirectories); for other inodes `nlink` is written as given.
//
// Paths are '/'-separated and absolute ("/usr/bin/ls"); "/" is the root. A
// component may not be empty, "." or "..", nor longer than 255 bytes.
// Errors are Errc::bad_input with the path in the message. Not thread-safe.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "erofs/fsverity.h"
#include "util/error.h"

namespace cairn::erofs {

enum class FileType { regular, directory, symlink, char_device, block_device, fifo, socket };

// The file type of a full st_mode, or nothing for an unknown type.
std::optional<FileType> file_type_of_mode(std::uint32_t mode);

struct Inode {
  std::uint32_t mode = S_IFREG | 0644;  // st_mode: type and permission bits
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint32_t nlink = 1;
  std::uint64_t rdev = 0;  // makedev() encoding; the image keeps the low 32 bits
  std::int64_t mtime_sec = 0;
  std::uint32_t mtime_nsec = 0;
  std::uint64_t size = 0;                     // regular files (and devices, as given)
  std::string payload;                        // symlink target or backing object path
  std::optional<std::string> content;         // inline content of a regular file
  std::optional<VerityDigest> verity_digest;  // fs-verity digest of the backing object
  std::map<std::string, std::string> xattrs;  // name → value

  FileType type() const;  // CHECKs that mode has a known type
  // A character device with device number 0: an overlayfs whiteout.
  bool is_whiteout() const { return type() == FileType::char_device && rdev == 0; }
};

using InodeId = std::uint32_t;

enum class EntryKind { primary, hard_link };

struct DirEntry {
  InodeId inode;
  EntryKind kind;
};

class Tree {
 public:
  // A tree holding only the root directory `root` (whose mode must be a
  // directory; CHECKed).
  explicit Tree(Inode root);

  InodeId root() const { return 0; }
  Inode& inode(InodeId id) { return m_inodes.at(id).inode; }
  const Inode& inode(InodeId id) const { return m_inodes.at(id).inode; }
  size_t inode_count() const { return m_inodes.size(); }

  // Entries of a directory inode, by name (empty for non-directories).
  const std::map<std::string, DirEntry>& children(InodeId dir) const;

  // Room for this many inodes in all, so that a tree built to a known size
  // allocates its inode table once.
  void reserve(size_t inodes) { m_inodes.reserve(inodes); }

  // Adds `inode` at `path`. The parent must be an existing directory and the
  // name free. The mode must have a known file type.
  Result<InodeId> add(std::string_view path, Inode inode);
  // The same under NAME in the directory DIR, without resolving a path (the
  // name is checked as a path component would be).
  Result<InodeId> add_child(InodeId dir, std::string name, Inode inode);
  // Adds `path` as another name of the inode at `target`, which must exist
  // and not be a directory; the link count is left as it is.
  Result<void> add_hardlink(std::string_view path, std::string_view target);
  // The same under NAME in the directory DIR for the inode TARGET.
  Result<void> add_child_link(InodeId dir, std::string name, InodeId target);
  // The inode a path names, following no symlinks.
  Result<InodeId> lookup(std::string_view path) const;

 private:
  using Children = std::map<std::string, DirEntry>;
  static constexpr std::uint32_t k_no_children = UINT32_MAX;
  // Only inodes that were given entries have a slot in m_children: most
  // inodes of an image are files.
  struct Node {
    Inode inode;
    std::uint32_t children = k_no_children;  // index into m_children
  };
  Children& children_for_insert(InodeId dir);
  // Parent directory and last component of a path to a new entry.
  Result<std::pair<InodeId, std::string>> locate_new(std::string_view path) const;
  // Checks that NAME may be added to the directory DIR, then adds it
  // (`what` names the entry in errors; empty: the name).
  Result<void> check_new(InodeId dir, const std::string& name, std::string_view what) const;
  Result<InodeId> insert(InodeId dir, std::string name, Inode inode, std::string_view what);
  Result<void> insert_link(InodeId dir, std::string name, InodeId target, std::string_view what);

  std::vector<Node> m_inodes;
  std::vector<Children> m_children;
};

// Splits an absolute path into its components ("/" gives none), rejecting
// empty, "." and ".." components and names over 255 bytes.
Result<std::vector<std::string>> split_tree_path(std::string_view path);

}  // namespace cairn::erofs
