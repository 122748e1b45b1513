#include "layer/tree_export.h"

#include <locale.h>

#include <algorithm>
#include <cstddef>
#include <memory>

#include "layer/archive_library.h"

namespace cairn {
namespace {

struct ArchiveReadDeleter {
  const ArchiveLibrary* la;
  void operator()(archive* a) const { la->archive_read_free(a); }
};
struct ArchiveWriteDeleter {
  const ArchiveLibrary* la;
  void operator()(archive* a) const { la->archive_write_free(a); }
};
struct EntryDeleter {
  const ArchiveLibrary* la;
  void operator()(archive_entry* e) const { la->archive_entry_free(e); }
};
struct ResolverDeleter {
  const ArchiveLibrary* la;
  void operator()(archive_entry_linkresolver* r) const { la->archive_entry_linkresolver_free(r); }
};

std::unexpected<Error> archive_failure(const ArchiveLibrary& la, archive* a,
                                       const std::string& what) {
  const char* message = la.archive_error_string(a);
  return fail(Errc::bad_input, what + ": " + (message ? message : "archive error"));
}

// "ROOT/usr/bin" -> "./usr/bin".
std::string relative_name(const std::string& root, const char* path) {
  std::string p = path;
  if (p.starts_with(root)) p = p.substr(root.size());
  while (p.starts_with("/")) p.erase(0, 1);
  return "./" + p;
}

Result<void> write_bytes(const ArchiveLibrary& la, archive* out, const void* buf, size_t size,
                         const std::string& name) {
  if (la.archive_write_data(out, buf, size) != static_cast<la_ssize_t>(size)) {
    return archive_failure(la, out, "write " + name);
  }
  return {};
}

// Copies a file's data blocks in order; holes between blocks are written
// out as zeros (the export carries no sparse maps: see write_entry).
Result<void> copy_data(const ArchiveLibrary& la, archive* disk, archive* out,
                       const std::string& name) {
  static const std::byte k_zeros[65536] = {};
  la_int64_t position = 0;
  const void* buf = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  for (;;) {
    int rc = la.archive_read_data_block(disk, &buf, &size, &offset);
    if (rc == ARCHIVE_EOF) return {};
    if (rc != ARCHIVE_OK) return archive_failure(la, disk, "read " + name);
    while (position < offset) {
      auto gap = static_cast<size_t>(std::min<la_int64_t>(offset - position, sizeof k_zeros));
      TRY(write_bytes(la, out, k_zeros, gap, name));
      position += static_cast<la_int64_t>(gap);
    }
    TRY(write_bytes(la, out, buf, size, name));
    position = offset + static_cast<la_int64_t>(size);
  }
}

Result<void> write_entry(const ArchiveLibrary& la, archive* disk, archive* out,
                         archive_entry* entry, const std::string& name) {
  // Sparse files are written in full: libarchive's pax sparse records did
  // not round-trip through its own reader here (doc/cli.md, export).
  la.archive_entry_sparse_clear(entry);
  // ARCHIVE_WARN: a name that is not UTF-8, written as bytes (hdrcharset=BINARY).
  if (int rc = la.archive_write_header(out, entry); rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
    return archive_failure(la, out, "write " + name);
  }
  if (la.archive_entry_filetype(entry) == AE_IFREG && la.archive_entry_size(entry) > 0) {
    TRY(copy_data(la, disk, out, name));
  }
  return {};
}

Result<void> export_entries(const ArchiveLibrary& la, archive* disk, archive* out,
                            const std::string& root) {
  std::unique_ptr<archive_entry_linkresolver, ResolverDeleter> resolver(
      la.archive_entry_linkresolver_new(), ResolverDeleter{&la});
  la.archive_entry_linkresolver_set_strategy(resolver.get(), ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE);
  std::unique_ptr<archive_entry, EntryDeleter> entry(la.archive_entry_new(), EntryDeleter{&la});
  for (;;) {
    int rc = la.archive_read_next_header2(disk, entry.get());
    if (rc == ARCHIVE_EOF) return {};
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return archive_failure(la, disk, "walk " + root);
    la.archive_read_disk_descend(disk);
    std::string name = relative_name(root, la.archive_entry_pathname(entry.get()));
    if (name == "./") continue;
    la.archive_entry_copy_pathname(entry.get(), name.c_str());
    la.archive_entry_set_uname(entry.get(), nullptr);
    la.archive_entry_set_gname(entry.get(), nullptr);
    // mtime only (with nanoseconds): access and change times are the host's.
    la.archive_entry_unset_atime(entry.get());
    la.archive_entry_unset_ctime(entry.get());
    la.archive_entry_unset_birthtime(entry.get());
    archive_entry* current = entry.get();
    archive_entry* spare = nullptr;
    la.archive_entry_linkify(resolver.get(), &current, &spare);
    if (current) TRY(write_entry(la, disk, out, current, name));
  }
}

// UTF-8 as this thread's character type for the life of the object, so that
// libarchive writes names that are valid UTF-8 as they are, with no
// hdrcharset record (GNU tar warns about that keyword); only names that are
// not valid UTF-8 get hdrcharset=BINARY. The C locale would send every
// non-ASCII name that way. Without a C.UTF-8 locale nothing changes.
class Utf8Names {
 public:
  Utf8Names() : m_locale(::newlocale(LC_CTYPE_MASK, "C.UTF-8", nullptr)) {
    if (m_locale) m_previous = ::uselocale(m_locale);
  }
  Utf8Names(const Utf8Names&) = delete;
  Utf8Names& operator=(const Utf8Names&) = delete;
  ~Utf8Names() {
    if (!m_locale) return;
    ::uselocale(m_previous);
    ::freelocale(m_locale);
  }

 private:
  locale_t m_locale;
  locale_t m_previous = nullptr;
};

}  // namespace

Result<void> export_tree(const std::string& root, int out_fd) {
  ASSIGN_OR_RETURN(const ArchiveLibrary* library, archive_library());
  const ArchiveLibrary& la = *library;
  Utf8Names utf8_names;
  std::unique_ptr<archive, ArchiveReadDeleter> disk(la.archive_read_disk_new(),
                                                    ArchiveReadDeleter{&la});
  std::unique_ptr<archive, ArchiveWriteDeleter> out(la.archive_write_new(),
                                                    ArchiveWriteDeleter{&la});
  la.archive_read_disk_set_symlink_physical(disk.get());
  la.archive_read_disk_set_behavior(disk.get(), ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
  if (la.archive_read_disk_open(disk.get(), root.c_str()) != ARCHIVE_OK) {
    return archive_failure(la, disk.get(), "open " + root);
  }
  la.archive_write_set_format_pax(out.get());
  // xattrs as SCHILY.xattr only: GNU tar warns about LIBARCHIVE.xattr records.
  if (la.archive_write_set_format_option(out.get(), "pax", "xattrheader", "SCHILY") != ARCHIVE_OK) {
    return archive_failure(la, out.get(), "set pax option xattrheader");
  }
  la.archive_write_set_bytes_in_last_block(out.get(), 1);
  if (la.archive_write_open_fd(out.get(), out_fd) != ARCHIVE_OK) {
    return archive_failure(la, out.get(), "open output");
  }
  TRY(export_entries(la, disk.get(), out.get(), root));
  if (la.archive_write_close(out.get()) != ARCHIVE_OK) {
    return archive_failure(la, out.get(), "close output");
  }
  return {};
}

}  // namespace cairn
