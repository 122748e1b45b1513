#include "layer/tar_reader.h"

#include <algorithm>
#include <cerrno>
#include <string>
#include <string_view>
#include <vector>

#include "layer/archive_library.h"
#include "layer/entry_limits.h"

namespace cairn {
namespace {

constexpr size_t k_read_chunk = 128 * 1024;
constexpr std::uint64_t k_header_size = 512;

struct ArchiveFree {
  const ArchiveLibrary* la;
  void operator()(archive* a) const { la->archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

Result<EntryType> entry_type(const ArchiveLibrary& la, archive_entry* e) {
  if (la.archive_entry_hardlink(e) != nullptr) return EntryType::hardlink;
  switch (la.archive_entry_filetype(e)) {
    case AE_IFREG: return EntryType::regular;
    case AE_IFDIR: return EntryType::directory;
    case AE_IFLNK: return EntryType::symlink;
    case AE_IFCHR: return EntryType::char_device;
    case AE_IFBLK: return EntryType::block_device;
    case AE_IFIFO: return EntryType::fifo;
    default: return fail(Errc::unsupported, "tar entry has an unsupported file type");
  }
}

std::vector<Xattr> entry_xattrs(const ArchiveLibrary& la, archive_entry* e) {
  std::vector<Xattr> xattrs;
  la.archive_entry_xattr_reset(e);
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  while (la.archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
    std::string v(static_cast<const char*>(value), size);
    auto same =
        std::find_if(xattrs.begin(), xattrs.end(), [&](const Xattr& x) { return x.name == name; });
    if (same != xattrs.end()) {
      same->value = std::move(v);
    } else {
      xattrs.push_back(Xattr{name, std::move(v)});
    }
  }
  return xattrs;
}

Result<void> decode_ids_and_times(const ArchiveLibrary& la, archive_entry* e, TarEntry& t) {
  la_int64_t uid = la.archive_entry_uid(e);
  la_int64_t gid = la.archive_entry_gid(e);
  if (uid < 0 || gid < 0) return fail(Errc::bad_input, "negative uid or gid");
  t.uid = static_cast<std::uint64_t>(uid);
  t.gid = static_cast<std::uint64_t>(gid);
  std::int64_t sec = la.archive_entry_mtime(e);
  long nsec = la.archive_entry_mtime_nsec(e);
  if (nsec < 0 || nsec >= 1'000'000'000) nsec = 0;
  t.mtime_sec = sec;
  t.mtime_nsec = static_cast<std::uint32_t>(nsec);
  return {};
}

Result<TarEntry> decode(const ArchiveLibrary& la, archive_entry* e) {
  TarEntry t;
  const char* path = la.archive_entry_pathname(e);
  if (path == nullptr) return fail(Errc::bad_input, "tar entry without a path");
  t.path = path;
  auto with_path = [&](Error err) { return fail(std::move(err).wrap("tar entry " + t.path)); };
  auto type = entry_type(la, e);
  if (!type) return with_path(std::move(type).error());
  t.type = *type;
  const char* target = t.type == EntryType::hardlink  ? la.archive_entry_hardlink(e)
                       : t.type == EntryType::symlink ? la.archive_entry_symlink(e)
                                                      : nullptr;
  if (target != nullptr) t.link_target = target;
  t.mode = static_cast<std::uint32_t>(la.archive_entry_mode(e)) & 07777;
  if (auto ok = decode_ids_and_times(la, e, t); !ok) return with_path(std::move(ok).error());
  t.dev_major = static_cast<std::uint32_t>(la.archive_entry_rdevmajor(e));
  t.dev_minor = static_cast<std::uint32_t>(la.archive_entry_rdevminor(e));
  if (t.type == EntryType::regular) {
    la_int64_t size = la.archive_entry_size(e);
    if (size < 0) return with_path(Error(make_error_code(Errc::bad_input), "negative size"));
    t.size = static_cast<std::uint64_t>(size);
  }
  t.xattrs = entry_xattrs(la, e);
  return t;
}

// Content of the current regular file, straight from archive_read_data_block.
// Blocks are checked to be in order and inside the logical size, so that
// sinks may trust the offsets.
class ArchiveData final : public EntryData {
 public:
  explicit ArchiveData(TarReader::Impl& impl) : m_impl(impl) {}
  void start(const TarEntry& entry) {
    m_active = entry.type == EntryType::regular;
    m_size = entry.size;
    m_end = 0;
  }
  void stop() { m_active = false; }
  Result<std::optional<DataBlock>> next_block() override;

 private:
  TarReader::Impl& m_impl;
  bool m_active = false;
  std::uint64_t m_size = 0;
  std::uint64_t m_end = 0;
};

}  // namespace

struct TarReader::Impl {
  Impl(Reader& source, const ArchiveLibrary& la)
      : m_la(la),
        m_source(source),
        m_buf(k_read_chunk),
        m_archive(la.archive_read_new(), ArchiveFree{&la}),
        m_data(*this) {}

  static la_ssize_t read_callback(archive* a, void* client, const void** buffer) {
    auto* self = static_cast<Impl*>(client);
    auto n = self->m_source.read(self->m_buf);
    if (!n) {
      self->m_source_error = std::move(n).error();
      self->m_la.archive_set_error(a, EIO, "reading the tar stream failed");
      return -1;
    }
    *buffer = self->m_buf.data();
    self->m_bytes_read += *n;
    if (*n == 0) return self->final_padding();
    return static_cast<la_ssize_t>(*n);
  }

  // Some writers (umoci's `insert`) end a layer right after the last file's
  // data, without the padding to a 512-byte block. Go's archive/tar, and so
  // umoci and Docker, read that as the end of the archive. libarchive does
  // not, so the missing padding is supplied as zeros (never hashed: digests
  // are taken before this reader). check_complete() then makes sure that the
  // zeros stood in for padding only, not for missing file data.
  la_ssize_t final_padding() {
    std::uint64_t partial = m_bytes_read % k_header_size;
    if (m_padding_given || partial == 0) return 0;
    m_padding_given = true;
    size_t padding = static_cast<size_t>(k_header_size - partial);
    std::fill_n(m_buf.begin(), padding, std::byte{0});
    return static_cast<la_ssize_t>(padding);
  }

  // Remembers where the data of a regular entry ends in the stream.
  void note_data_end(archive_entry* e) {
    if (m_la.archive_entry_filetype(e) != AE_IFREG || m_la.archive_entry_hardlink(e) != nullptr ||
        m_la.archive_entry_sparse_count(e) > 0) {
      return;
    }
    la_int64_t position = m_la.archive_filter_bytes(m_archive.get(), 0);
    la_int64_t size = m_la.archive_entry_size(e);
    if (position >= 0 && size >= 0) {
      m_data_end = static_cast<std::uint64_t>(position) + static_cast<std::uint64_t>(size);
    }
  }

  // libarchive reads a header it did not take whole as ARCHIVE_WARN and goes on. The only
  // warnings that lose nothing are charset conversions (in the "C" locale pax names stay the
  // raw bytes they were); any other (a pax record it skipped as malformed: a bad length, no '=',
  // no newline, a NUL in the key) is refused, naming the entry.
  Result<void> check_warning(archive_entry* e) const {
    const char* msg = m_la.archive_error_string(m_archive.get());
    std::string text = msg != nullptr ? msg : "a warning without a message";
    if (text.find("can't be converted from") != std::string::npos) return {};
    const char* path = m_la.archive_entry_pathname(e);
    std::string entry = "the entry \"" + std::string(path != nullptr ? path : "") + "\"";
    if (text.find("pax") != std::string::npos) {
      return fail(Errc::bad_input, "tar: the pax header of " + entry + " has a malformed " +
                                       "record (a wrong length, no '=', no newline or a NUL in " +
                                       "its key; libarchive: " + text + ")");
    }
    return fail(Errc::bad_input, "tar: " + entry + ": " + text);
  }

  Result<void> check_complete() const {
    if (m_padding_given && m_data_end > m_bytes_read) {
      return fail(Errc::bad_input, "truncated tar: the stream ends inside the last file's data");
    }
    return {};
  }

  // The error behind libarchive's last failure: the source's own if it
  // failed, otherwise libarchive's message. A stream shorter than one header
  // fails format detection, which is truncation too.
  Error error() const {
    if (m_source_error) return *m_source_error;
    const char* msg = m_la.archive_error_string(m_archive.get());
    std::string text = msg != nullptr ? msg : "unknown libarchive error";
    // After final_padding() any failure stems from a stream that ended
    // inside a block.
    bool truncated = m_padding_given || text.find("runcated") != std::string::npos ||
                     (m_bytes_read > 0 && m_bytes_read < k_header_size);
    return Error(make_error_code(Errc::bad_input),
                 (truncated ? "truncated tar: " : "tar: ") + text);
  }

  const ArchiveLibrary& m_la;
  Reader& m_source;
  std::vector<std::byte> m_buf;
  std::optional<Error> m_source_error;
  std::uint64_t m_bytes_read = 0;
  bool m_padding_given = false;
  std::uint64_t m_data_end = 0;
  ArchivePtr m_archive;
  ArchiveData m_data;
};

namespace {

Result<std::optional<DataBlock>> ArchiveData::next_block() {
  while (m_active) {
    const void* buf = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    int rc = m_impl.m_la.archive_read_data_block(m_impl.m_archive.get(), &buf, &size, &offset);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return fail(m_impl.error());
    if (size == 0) continue;
    auto start = static_cast<std::uint64_t>(offset);
    if (offset < 0 || start < m_end || size > m_size || start > m_size - size) {
      return fail(Errc::bad_input, "tar: data block outside the entry or out of order");
    }
    m_end = start + size;
    return DataBlock{start, std::span(static_cast<const std::byte*>(buf), size)};
  }
  stop();
  if (m_impl.m_source_error) return fail(*m_impl.m_source_error);
  return std::nullopt;
}

}  // namespace

TarReader::TarReader(Key, std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
TarReader::~TarReader() = default;

Result<std::unique_ptr<TarReader>> TarReader::open(Reader& source) {
  ASSIGN_OR_RETURN(const ArchiveLibrary* library, archive_library());
  const ArchiveLibrary& la = *library;
  auto impl = std::make_unique<Impl>(source, la);
  archive* a = impl->m_archive.get();
  if (a == nullptr) return fail_errno(ENOMEM, "archive_read_new");
  if (la.archive_read_support_format_tar(a) != ARCHIVE_OK ||
      la.archive_read_support_format_empty(a) != ARCHIVE_OK ||
      la.archive_read_support_filter_none(a) != ARCHIVE_OK) {
    return fail(impl->error());
  }
  if (la.archive_read_open(a, impl.get(), nullptr, &Impl::read_callback, nullptr) != ARCHIVE_OK) {
    return fail(impl->error());
  }
  return std::make_unique<TarReader>(Key{}, std::move(impl));
}

Result<std::optional<TarEntry>> TarReader::next() {
  archive_entry* e = nullptr;
  int rc = m_impl->m_la.archive_read_next_header(m_impl->m_archive.get(), &e);
  m_impl->m_data.stop();
  // libarchive reads a failed source as the end of the stream in places.
  if (m_impl->m_source_error) return fail(*m_impl->m_source_error);
  if (rc == ARCHIVE_EOF) {
    TRY(m_impl->check_complete());
    return std::nullopt;
  }
  // ARCHIVE_RETRY means libarchive skipped damaged bytes to resynchronize.
  if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return fail(m_impl->error());
  if (rc == ARCHIVE_WARN) TRY(m_impl->check_warning(e));
  m_impl->note_data_end(e);
  ASSIGN_OR_RETURN(TarEntry entry, decode(m_impl->m_la, e));
  m_impl->m_data.start(entry);
  return entry;
}

EntryData& TarReader::data() {
  return m_impl->m_data;
}

Result<std::uint64_t> read_tar_into(Reader& source, LayerSink& sink) {
  ASSIGN_OR_RETURN(auto reader, TarReader::open(source));
  std::uint64_t count = 0;
  for (;;) {
    ASSIGN_OR_RETURN(auto entry, reader->next());
    if (!entry) return count;
    TRY(check_entry_limits(*entry));
    TRY(sink.add(*entry, reader->data()));
    ++count;
  }
}

}  // namespace cairn
