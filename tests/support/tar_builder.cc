#include "support/tar_builder.h"

#include <archive.h>
#include <archive_entry.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace cairn::test {
namespace {

[[noreturn]] void die(const std::string& what, archive* a) {
  std::fprintf(stderr, "TarBuilder: %s: %s\n", what.c_str(),
               a != nullptr && archive_error_string(a) ? archive_error_string(a) : "");
  std::abort();
}

la_ssize_t append(archive*, void* client, const void* buf, size_t size) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buf), size);
  return static_cast<la_ssize_t>(size);
}

struct WriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

std::unique_ptr<archive_entry, EntryFree> make_entry(const TarBuilder::Spec& s) {
  std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
  archive_entry_copy_pathname(e.get(), s.path.c_str());
  archive_entry_set_filetype(e.get(), s.type);
  archive_entry_set_perm(e.get(), s.mode);
  archive_entry_set_uid(e.get(), static_cast<la_int64_t>(s.uid));
  archive_entry_set_gid(e.get(), static_cast<la_int64_t>(s.gid));
  archive_entry_set_mtime(e.get(), s.mtime_sec, s.mtime_nsec);
  if (s.hardlink) archive_entry_copy_hardlink(e.get(), s.link.c_str());
  if (s.type == AE_IFLNK) archive_entry_copy_symlink(e.get(), s.link.c_str());
  if (s.type == AE_IFCHR || s.type == AE_IFBLK) {
    archive_entry_set_rdevmajor(e.get(), s.major);
    archive_entry_set_rdevminor(e.get(), s.minor);
  }
  std::uint64_t size = s.extents.empty() ? s.content.size() : s.sparse_size;
  archive_entry_set_size(e.get(),
                         s.type == AE_IFREG && !s.hardlink ? static_cast<la_int64_t>(size) : 0);
  for (const auto& x : s.extents) {
    archive_entry_sparse_add_entry(e.get(), static_cast<la_int64_t>(x.offset),
                                   static_cast<la_int64_t>(x.data.size()));
  }
  for (const auto& [name, value] : s.xattrs) {
    archive_entry_xattr_add_entry(e.get(), name.c_str(), value.data(), value.size());
  }
  return e;
}

std::string logical_content(const TarBuilder::Spec& s) {
  if (s.extents.empty()) return s.content;
  std::string out(s.sparse_size, '\0');
  for (const auto& x : s.extents) out.replace(x.offset, x.data.size(), x.data);
  return out;
}

}  // namespace

TarBuilder::Spec& TarBuilder::add(std::string path, unsigned type, mode_t mode) {
  Spec& s = m_specs.emplace_back();
  s.path = std::move(path);
  s.type = type;
  s.mode = mode;
  return s;
}

TarBuilder::Spec& TarBuilder::last() {
  if (m_specs.empty()) die("modifier before any entry", nullptr);
  return m_specs.back();
}

TarBuilder& TarBuilder::file(std::string path, std::string content, mode_t mode) {
  Spec& s = add(std::move(path), AE_IFREG, mode);
  s.content = std::move(content);
  return *this;
}
TarBuilder& TarBuilder::dir(std::string path, mode_t mode) {
  add(std::move(path), AE_IFDIR, mode);
  return *this;
}
TarBuilder& TarBuilder::symlink(std::string path, std::string target) {
  add(std::move(path), AE_IFLNK, 0777).link = std::move(target);
  return *this;
}
TarBuilder& TarBuilder::hardlink(std::string path, std::string target) {
  Spec& s = add(std::move(path), AE_IFREG, 0644);
  s.link = std::move(target);
  s.hardlink = true;
  return *this;
}
TarBuilder& TarBuilder::char_device(std::string path, unsigned major, unsigned minor, mode_t mode) {
  Spec& s = add(std::move(path), AE_IFCHR, mode);
  s.major = major;
  s.minor = minor;
  return *this;
}
TarBuilder& TarBuilder::block_device(std::string path, unsigned major, unsigned minor,
                                     mode_t mode) {
  Spec& s = add(std::move(path), AE_IFBLK, mode);
  s.major = major;
  s.minor = minor;
  return *this;
}
TarBuilder& TarBuilder::fifo(std::string path, mode_t mode) {
  add(std::move(path), AE_IFIFO, mode);
  return *this;
}
TarBuilder& TarBuilder::sparse(std::string path, std::uint64_t size,
                               std::vector<SparseExtent> extents, mode_t mode) {
  Spec& s = add(std::move(path), AE_IFREG, mode);
  s.sparse_size = size;
  s.extents = std::move(extents);
  return *this;
}

TarBuilder& TarBuilder::owner(std::uint64_t uid, std::uint64_t gid) {
  last().uid = uid;
  last().gid = gid;
  return *this;
}
TarBuilder& TarBuilder::mtime(std::int64_t sec, long nsec) {
  last().mtime_sec = sec;
  last().mtime_nsec = nsec;
  return *this;
}
TarBuilder& TarBuilder::xattr(std::string name, std::string value) {
  last().xattrs.emplace_back(std::move(name), std::move(value));
  return *this;
}

std::string TarBuilder::finish(TarTrailer trailer) const {
  std::string out;
  std::unique_ptr<archive, WriteFree> w(archive_write_new());
  archive* a = w.get();
  int rc = m_format == TarFormat::pax   ? archive_write_set_format_pax(a)
           : m_format == TarFormat::gnu ? archive_write_set_format_gnutar(a)
                                        : archive_write_set_format_ustar(a);
  if (rc != ARCHIVE_OK) die("set format", a);
  archive_write_set_bytes_in_last_block(a, 1);
  if (archive_write_open(a, &out, nullptr, append, nullptr) != ARCHIVE_OK) die("open", a);
  for (const Spec& s : m_specs) {
    auto e = make_entry(s);
    if (archive_write_header(a, e.get()) < ARCHIVE_WARN) die("header " + s.path, a);
    std::string data = logical_content(s);
    if (!data.empty() && archive_write_data(a, data.data(), data.size()) < 0)
      die("data " + s.path, a);
  }
  if (archive_write_close(a) != ARCHIVE_OK) die("close", a);
  if (trailer == TarTrailer::none) {
    if (out.size() < 1024 || out.find_first_not_of('\0', out.size() - 1024) != std::string::npos) {
      die("no end-of-archive blocks to strip", nullptr);
    }
    out.resize(out.size() - 1024);
  }
  return out;
}

}  // namespace cairn::test
