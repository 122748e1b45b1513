// Thin wrappers over the system calls cairn uses. Each one retries EINTR,
// completes short reads and writes, and names the call and the path in its
// error, so that errno is never lost.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"
#include "util/unique_fd.h"

namespace cairn::sys {

// open(2)/openat(2) with O_CLOEXEC added.
Result<UniqueFd> open(const std::string& path, int flags, mode_t mode = 0);
Result<UniqueFd> open_at(int dir_fd, const std::string& path, int flags, mode_t mode = 0);

// Reads up to buf.size() bytes; 0 means end of file.
Result<size_t> read_some(int fd, std::span<std::byte> buf, std::string_view what);
// Reads until buf is full or end of file; returns the bytes read.
Result<size_t> read_full(int fd, std::span<std::byte> buf, std::string_view what);
Result<size_t> pread_full(int fd, std::span<std::byte> buf, off_t offset, std::string_view what);
Result<void> write_all(int fd, std::span<const std::byte> buf, std::string_view what);
Result<void> pwrite_all(int fd, std::span<const std::byte> buf, off_t offset,
                        std::string_view what);

Result<struct stat> stat(const std::string& path);
Result<struct stat> lstat(const std::string& path);
Result<struct stat> fstat(int fd, std::string_view what);
// false if the path does not exist (lstat: a dangling symlink exists).
Result<bool> exists(const std::string& path);

// Whole small files. read_file fails with Errc::bad_input above max_size.
Result<std::string> read_file(const std::string& path, size_t max_size = 64 << 20);
// Writes a file durably: temp name in the same directory, fsync, rename,
// fsync of the directory. Readers see the old or the new content, never a mix.
Result<void> write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0644);

// The names in a directory, "." and ".." left out, in no particular order.
Result<std::vector<std::string>> list_directory(const std::string& path);

// mkdir -p. Existing directories are fine.
Result<void> make_dirs(const std::string& path, mode_t mode = 0755);
// rm -rf without following symlinks or leaving the filesystem (a mount point
// inside is an error, EBUSY), for trees of any depth. A missing path is fine.
Result<void> remove_tree(const std::string& path);
Result<void> rename(const std::string& from, const std::string& to);
Result<void> fsync(int fd, std::string_view what);
Result<void> fsync_path(const std::string& path);
// syncfs(2) on the filesystem holding path.
Result<void> syncfs_path(const std::string& path);

// Parent directory and last component of a '/'-separated path.
std::string dirname(std::string_view path);
std::string basename(std::string_view path);
std::string join(std::string_view a, std::string_view b);

}  // namespace cairn::sys
