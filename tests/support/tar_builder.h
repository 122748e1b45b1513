// Builds tar archives in memory for tests, with libarchive's writer.
//
//   std::string tar = TarBuilder()
//       .dir("etc").file("etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0644)
//       .owner(0, 0).xattr("user.k", "v")
//       .symlink("bin", "usr/bin").hardlink("etc/group", "etc/passwd")
//       .finish();
//
// Entries are written in the order they are added. owner(), mtime() and
// xattr() modify the entry added last. Defaults: uid/gid 0, mtime 0, modes
// 0644 for files and 0755 for directories. Only the pax format can carry
// xattrs and sparse files; GNU and ustar ignore them. Invalid use (a
// modifier before any entry) aborts the test binary.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cairn::test {

enum class TarFormat { pax, gnu, ustar };
// Whether finish() writes the two zero end-of-archive blocks.
enum class TarTrailer { end_blocks, none };

struct SparseExtent {
  std::uint64_t offset = 0;
  std::string data;
};

class TarBuilder {
 public:
  explicit TarBuilder(TarFormat format = TarFormat::pax) : m_format(format) {}

  TarBuilder& file(std::string path, std::string content, mode_t mode = 0644);
  TarBuilder& dir(std::string path, mode_t mode = 0755);
  TarBuilder& symlink(std::string path, std::string target);
  TarBuilder& hardlink(std::string path, std::string target);
  TarBuilder& char_device(std::string path, unsigned major, unsigned minor, mode_t mode = 0600);
  TarBuilder& block_device(std::string path, unsigned major, unsigned minor, mode_t mode = 0600);
  TarBuilder& fifo(std::string path, mode_t mode = 0644);
  // A sparse regular file of `size` bytes: the extents hold data, the rest
  // are holes. pax only.
  TarBuilder& sparse(std::string path, std::uint64_t size, std::vector<SparseExtent> extents,
                     mode_t mode = 0644);

  TarBuilder& owner(std::uint64_t uid, std::uint64_t gid);
  TarBuilder& mtime(std::int64_t sec, long nsec = 0);
  TarBuilder& xattr(std::string name, std::string value);

  // The archive bytes, not padded to a block size beyond 512-byte records.
  std::string finish(TarTrailer trailer = TarTrailer::end_blocks) const;

  struct Spec {
    std::string path;
    unsigned type = 0;  // AE_IF* of libarchive
    std::string content;
    std::string link;
    bool hardlink = false;
    mode_t mode = 0;
    unsigned major = 0;
    unsigned minor = 0;
    std::uint64_t uid = 0;
    std::uint64_t gid = 0;
    std::int64_t mtime_sec = 0;
    long mtime_nsec = 0;
    std::uint64_t sparse_size = 0;
    std::vector<SparseExtent> extents;
    std::vector<std::pair<std::string, std::string>> xattrs;
  };

 private:
  Spec& add(std::string path, unsigned type, mode_t mode);
  Spec& last();

  TarFormat m_format;
  std::vector<Spec> m_specs;
};

}  // namespace cairn::test
