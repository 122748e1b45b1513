#include "backend/composefs/index_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "layer/oci_path.h"
#include "util/sys.h"

namespace cairn::composefs {
namespace {

constexpr std::uint64_t k_max_id = 0xfffffffe;

IndexOp op_of(EntryType type) {
  switch (type) {
    case EntryType::regular: return IndexOp::regular;
    case EntryType::hardlink: return IndexOp::hardlink;
    case EntryType::symlink: return IndexOp::symlink;
    case EntryType::directory: return IndexOp::directory;
    case EntryType::char_device: return IndexOp::char_device;
    case EntryType::block_device: return IndexOp::block_device;
    case EntryType::fifo: return IndexOp::fifo;
  }
  return IndexOp::regular;
}

std::string join_path(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

Result<IndexEntry> entry_of(const TarEntry& entry) {
  ASSIGN_OR_RETURN(LayerPath lp, classify_layer_path(entry.path));
  IndexEntry e;
  if (lp.op != PathOp::entry) {
    e.op = lp.op == PathOp::whiteout ? IndexOp::whiteout : IndexOp::opaque;
    e.path = lp.op == PathOp::whiteout ? join_path(lp.dir, lp.name) : lp.dir;
    return e;
  }
  if (lp.is_root() && entry.type != EntryType::directory) {
    return fail(Errc::unsafe_path, "layer entry for the root is not a directory");
  }
  // overlayfs reads a character device 0/0 in any of its layers as a
  // whiteout, so a composefs mount cannot show one: refused rather than
  // hidden or turned into an empty file (doc/composefs-backend.md).
  if (entry.type == EntryType::char_device && entry.dev_major == 0 && entry.dev_minor == 0) {
    return fail(Errc::unsupported,
                "character device 0/0, which overlayfs (and so composefs) reads as a whiteout; "
                "import this image with the dir, btrfs or zfs backend");
  }
  if (entry.uid > k_max_id || entry.gid > k_max_id) {
    return fail(Errc::unsupported, entry.path + ": uid/gid out of range");
  }
  e.op = op_of(entry.type);
  e.path = join_path(lp.dir, lp.name);
  e.mode = entry.mode & 07777;
  e.uid = static_cast<std::uint32_t>(entry.uid);
  e.gid = static_cast<std::uint32_t>(entry.gid);
  e.mtime_sec = entry.mtime_sec;
  e.mtime_nsec = entry.mtime_nsec;
  e.dev_major = entry.dev_major;
  e.dev_minor = entry.dev_minor;
  e.xattrs = entry.xattrs;
  if (entry.type == EntryType::symlink) e.data = entry.link_target;
  if (entry.type == EntryType::hardlink) {
    ASSIGN_OR_RETURN(e.data, normalize_layer_path(entry.link_target));
  }
  return e;
}

}  // namespace

Result<void> IndexSink::add(const TarEntry& entry, EntryData& data) {
  auto e = entry_of(entry);
  if (!e) return fail(std::move(e).error().wrap(entry.path));
  if (e->op == IndexOp::regular) {
    e->size = entry.size;
    TRY(add_regular(*e, data));
  }
  m_index.append(*e);
  return {};
}

Result<void> IndexSink::add_regular(IndexEntry& e, EntryData& data) {
  if (e.size > k_inline_limit) return stage_object(e, data);
  e.data.assign(e.size, '\0');
  while (true) {
    ASSIGN_OR_RETURN(auto block, data.next_block());
    if (!block) break;
    if (block->offset + block->bytes.size() > e.size) {
      return fail(Errc::bad_input, e.path + ": data beyond the file size");
    }
    std::copy(block->bytes.begin(), block->bytes.end(),
              reinterpret_cast<std::byte*>(e.data.data()) + block->offset);
  }
  return {};
}

Result<void> IndexSink::stage_object(IndexEntry& e, EntryData& data) {
  std::string path = m_staging + "/" + std::to_string(m_counter++);
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open(path, O_WRONLY | O_CREAT | O_EXCL, 0644));
  erofs::FsVerityHasher hasher;
  std::uint64_t end = 0;
  while (true) {
    ASSIGN_OR_RETURN(auto block, data.next_block());
    if (!block) break;
    if (block->offset < end || block->offset + block->bytes.size() > e.size) {
      return fail(Errc::bad_input, e.path + ": data blocks out of order or beyond the size");
    }
    hasher.update_zeros(block->offset - end);
    hasher.update(block->bytes);
    TRY(sys::pwrite_all(fd.get(), block->bytes, static_cast<off_t>(block->offset), path));
    end = block->offset + block->bytes.size();
  }
  hasher.update_zeros(e.size - end);
  if (end < e.size &&
      ::ftruncate(fd.get(), static_cast<off_t>(e.size)) != 0) {  // a hole at the end
    return fail_errno(errno, "ftruncate " + path);
  }
  e.object = hasher.finish();
  ASSIGN_OR_RETURN(bool stored, m_objects.contains(*e.object));
  if (stored || m_staged.contains(*e.object)) {
    if (::unlink(path.c_str()) != 0) return fail_errno(errno, "unlink " + path);
  } else {
    m_staged.emplace(*e.object, path);
  }
  return {};
}

Result<void> IndexSink::finish() {
  {
    const std::string text = std::move(m_index).take();
    ASSIGN_OR_RETURN(UniqueFd fd, sys::open(staged_index(), O_WRONLY | O_CREAT | O_EXCL, 0644));
    TRY(sys::write_all(fd.get(), std::as_bytes(std::span(text)), staged_index()));
  }
  if (m_staged.empty()) return {};
  return sys::syncfs_path(m_staging);
}

Result<void> IndexSink::publish() {
  for (const auto& [digest, path] : m_staged) TRY(m_objects.adopt(path, digest));
  m_staged.clear();
  return {};
}

}  // namespace cairn::composefs
