#include "layer/tree_export.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cstddef>
#include <memory>

namespace cairn {
namespace {

struct ArchiveReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct ArchiveWriteDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
struct ResolverDeleter {
  void operator()(archive_entry_linkresolver* r) const { archive_entry_linkresolver_free(r); }
};

std::unexpected<Error> archive_failure(archive* a, const std::string& what) {
  const char* message = archive_error_string(a);
  return fail(Errc::bad_input, what + ": " + (message ? message : "archive error"));
}

// "ROOT/usr/bin" -> "./usr/bin".
std::string relative_name(const std::string& root, const char* path) {
  std::string p = path;
  if (p.starts_with(root)) p = p.substr(root.size());
  while (p.starts_with("/")) p.erase(0, 1);
  return "./" + p;
}

Result<void> write_bytes(archive* out, const void* buf, size_t size, const std::string& name) {
  if (archive_write_data(out, buf, size) != static_cast<la_ssize_t>(size)) {
    return archive_failure(out, "write " + name);
  }
  return {};
}

// Copies a file's data blocks in order; holes between blocks are written
// out as zeros (the export carries no sparse maps: see write_entry).
Result<void> copy_data(archive* disk, archive* out, const std::string& name) {
  static const std::byte k_zeros[65536] = {};
  la_int64_t position = 0;
  const void* buf = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  for (;;) {
    int rc = archive_read_data_block(disk, &buf, &size, &offset);
    if (rc == ARCHIVE_EOF) return {};
    if (rc != ARCHIVE_OK) return archive_failure(disk, "read " + name);
    while (position < offset) {
      auto gap = static_cast<size_t>(std::min<la_int64_t>(offset - position, sizeof k_zeros));
      TRY(write_bytes(out, k_zeros, gap, name));
      position += static_cast<la_int64_t>(gap);
    }
    TRY(write_bytes(out, buf, size, name));
    position = offset + static_cast<la_int64_t>(size);
  }
}

Result<void> write_entry(archive* disk, archive* out, archive_entry* entry,
                         const std::string& name) {
  // Sparse files are written in full: libarchive's pax sparse records did
  // not round-trip through its own reader here (doc/cli.md, export).
  archive_entry_sparse_clear(entry);
  if (archive_write_header(out, entry) != ARCHIVE_OK) return archive_failure(out, "write " + name);
  if (archive_entry_filetype(entry) == AE_IFREG && archive_entry_size(entry) > 0) {
    TRY(copy_data(disk, out, name));
  }
  return {};
}

Result<void> export_entries(archive* disk, archive* out, const std::string& root) {
  std::unique_ptr<archive_entry_linkresolver, ResolverDeleter> resolver(
      archive_entry_linkresolver_new());
  archive_entry_linkresolver_set_strategy(resolver.get(), ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE);
  std::unique_ptr<archive_entry, EntryDeleter> entry(archive_entry_new());
  for (;;) {
    int rc = archive_read_next_header2(disk, entry.get());
    if (rc == ARCHIVE_EOF) return {};
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return archive_failure(disk, "walk " + root);
    archive_read_disk_descend(disk);
    std::string name = relative_name(root, archive_entry_pathname(entry.get()));
    if (name == "./") continue;
    archive_entry_copy_pathname(entry.get(), name.c_str());
    archive_entry_set_uname(entry.get(), nullptr);
    archive_entry_set_gname(entry.get(), nullptr);
    // mtime only (with nanoseconds): access and change times are the host's.
    archive_entry_unset_atime(entry.get());
    archive_entry_unset_ctime(entry.get());
    archive_entry_unset_birthtime(entry.get());
    archive_entry* current = entry.get();
    archive_entry* spare = nullptr;
    archive_entry_linkify(resolver.get(), &current, &spare);
    if (current) TRY(write_entry(disk, out, current, name));
  }
}

}  // namespace

Result<void> export_tree(const std::string& root, int out_fd) {
  std::unique_ptr<archive, ArchiveReadDeleter> disk(archive_read_disk_new());
  std::unique_ptr<archive, ArchiveWriteDeleter> out(archive_write_new());
  archive_read_disk_set_symlink_physical(disk.get());
  archive_read_disk_set_behavior(disk.get(), ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
  if (archive_read_disk_open(disk.get(), root.c_str()) != ARCHIVE_OK) {
    return archive_failure(disk.get(), "open " + root);
  }
  archive_write_set_format_pax(out.get());
  // Names are bytes, whatever the locale: no conversion to UTF-8.
  archive_write_set_format_option(out.get(), "pax", "hdrcharset", "BINARY");
  archive_write_set_bytes_in_last_block(out.get(), 1);
  if (archive_write_open_fd(out.get(), out_fd) != ARCHIVE_OK) {
    return archive_failure(out.get(), "open output");
  }
  TRY(export_entries(disk.get(), out.get(), root));
  if (archive_write_close(out.get()) != ARCHIVE_OK) return archive_failure(out.get(), "close output");
  return {};
}

}  // namespace cairn
