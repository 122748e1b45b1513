// fs-verity file digests computed in userspace.
//
// The digest is the one the kernel reports for a file with fs-verity enabled
// using SHA-256, 4096-byte blocks and no salt (what `fsverity digest` prints
// and what composefs records for backing objects and images):
//
//   - The file is cut into 4096-byte blocks, the last one zero-padded. Each
//     block is hashed; the hashes, concatenated, form the next level, again cut
//     into zero-padded 4096-byte blocks (128 hashes each), and so on until a
//     level holds a single hash: that is the root hash. A file of one block has
//     the hash of that block as root hash; an empty file has 32 zero bytes.
//   - The digest is SHA-256 of the 256-byte fsverity_descriptor: version 1,
//     hash_algorithm 1 (SHA-256), log_blocksize 12, salt_size 0, 4 reserved
//     bytes, data_size (le64), root_hash (zero-padded to 64 bytes), salt (32
//     zero bytes), 144 reserved zero bytes.
//
// FsVerityHasher is streaming: memory is one 4 KiB block per tree level (a
// handful for any real file), whatever the input size.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"
#include "util/reader.h"
#include "util/sha256.h"

namespace cairn::erofs {

using VerityDigest = Sha256Sum;

class FsVerityHasher {
 public:
  static constexpr size_t k_block_size = 4096;

  void update(std::span<const std::byte> data);
  void update(std::string_view data) { update(std::as_bytes(std::span(data))); }
  // The same as update() with COUNT zero bytes, in time that grows with the
  // log of COUNT, not COUNT (the holes of sparse files: a 1 TiB hole is a
  // few hundred block hashes): whole zero blocks all hash alike, and so do
  // whole tree blocks of equal hashes.
  void update_zeros(std::uint64_t count);
  // Ends the computation; the hasher must not be used afterwards.
  VerityDigest finish();

  std::uint64_t size() const { return m_size; }

 private:
  struct Level {
    std::vector<std::byte> block;  // pending hashes, less than one block
    std::uint64_t count = 0;       // hashes ever added to this level
  };
  void add_hash(size_t level, const Sha256Sum& hash);
  // add_hash(LEVEL, HASH) COUNT times.
  void add_repeated(size_t level, const Sha256Sum& hash, std::uint64_t count);
  void flush_data_block();

  std::vector<std::byte> m_data;  // pending data, less than one block
  std::vector<Level> m_levels;
  std::uint64_t m_size = 0;
};

// Digest of a whole stream (read to its end).
Result<VerityDigest> fsverity_digest(Reader& reader);
// Digest of bytes in memory.
VerityDigest fsverity_digest(std::span<const std::byte> data);
VerityDigest fsverity_digest(std::string_view data);
// Digest of a file's content, read from offset 0 with pread (the descriptor's
// offset is left alone). `name` is used in error messages.
Result<VerityDigest> fsverity_digest_fd(int fd, std::string_view name);
Result<VerityDigest> fsverity_digest_file(const std::string& path);

// Lowercase hex, and its inverse (exactly 64 hex digits, either case).
std::string verity_hex(const VerityDigest& digest);
Result<VerityDigest> parse_verity_hex(std::string_view hex);

}  // namespace cairn::erofs
