// libarchive's entry points, opened by the first tar reader or export rather
// than at program start (util/shared_library.h says why: libarchive brings
// libxml2, ICU, liblzma, nettle and more, ~1 ms of every command).
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include "util/error.h"

namespace cairn {

// The entry points, packed by hand (clang-format cannot lay out an X-macro list).
// clang-format off
#define CAIRN_ARCHIVE_ENTRY_POINTS(X)                                                     \
  X(archive_error_string) X(archive_filter_bytes) X(archive_set_error)                    \
  X(archive_read_new) X(archive_read_free) X(archive_read_open)                           \
  X(archive_read_support_format_tar) X(archive_read_support_format_empty)                 \
  X(archive_read_support_filter_none) X(archive_read_next_header)                         \
  X(archive_read_next_header2) X(archive_read_data_block) X(archive_read_disk_new)        \
  X(archive_read_disk_open) X(archive_read_disk_descend)                                  \
  X(archive_read_disk_set_behavior) X(archive_read_disk_set_symlink_physical)             \
  X(archive_write_new) X(archive_write_free) X(archive_write_open_fd)                     \
  X(archive_write_set_format_pax) X(archive_write_set_format_option)                      \
  X(archive_write_set_bytes_in_last_block) X(archive_write_header) X(archive_write_data)  \
  X(archive_write_close) X(archive_entry_new) X(archive_entry_free)                       \
  X(archive_entry_pathname) X(archive_entry_copy_pathname) X(archive_entry_filetype)     \
  X(archive_entry_mode) X(archive_entry_uid) X(archive_entry_gid) X(archive_entry_size)  \
  X(archive_entry_mtime) X(archive_entry_mtime_nsec) X(archive_entry_hardlink)           \
  X(archive_entry_symlink) X(archive_entry_rdevmajor) X(archive_entry_rdevminor)         \
  X(archive_entry_sparse_count) X(archive_entry_sparse_clear)                             \
  X(archive_entry_xattr_reset) X(archive_entry_xattr_next) X(archive_entry_set_uname)    \
  X(archive_entry_set_gname) X(archive_entry_unset_atime) X(archive_entry_unset_ctime)   \
  X(archive_entry_unset_birthtime) X(archive_entry_linkresolver_new)                      \
  X(archive_entry_linkresolver_free) X(archive_entry_linkresolver_set_strategy)           \
  X(archive_entry_linkify)
// clang-format on

// One member per entry point, named and typed as in <archive.h>.
struct ArchiveLibrary {
#define CAIRN_DECLARE_ENTRY_POINT(name) decltype(&::name) name;
  CAIRN_ARCHIVE_ENTRY_POINTS(CAIRN_DECLARE_ENTRY_POINT)
#undef CAIRN_DECLARE_ENTRY_POINT
};

// The library, loaded once per process (thread safe), or why it cannot be.
Result<const ArchiveLibrary*> archive_library();

}  // namespace cairn
