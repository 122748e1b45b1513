#include "erofs/fsverity.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/sys.h"

namespace cairn::erofs {
namespace {

constexpr size_t k_hash_size = 32;
constexpr size_t k_descriptor_size = 256;

// One SHA-256 per 4 KiB block makes the per-call cost count: the digest
// is fetched once per process and each thread reuses one context, instead
// of EVP_Digest's fetch and allocation on every call (~8% of the hashing).
Sha256Sum sha256_block(std::span<const std::byte> block) {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct Context {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Context() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Context context;
  CHECK(md != nullptr && context.ctx != nullptr);
  Sha256Sum sum{};
  unsigned int len = 0;
  CHECK(EVP_DigestInit_ex2(context.ctx, md, nullptr) == 1);
  CHECK(EVP_DigestUpdate(context.ctx, block.data(), block.size()) == 1);
  CHECK(EVP_DigestFinal_ex(context.ctx, sum.data(), &len) == 1);
  CHECK(len == sum.size());
  return sum;
}

void put_le64(std::byte* out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<std::byte>(v >> (8 * i));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void FsVerityHasher::update(std::span<const std::byte> data) {
  m_size += data.size();
  while (!data.empty()) {
    if (m_data.empty() && data.size() >= k_block_size) {  // whole blocks: hashed in place
      add_hash(0, sha256_block(data.first(k_block_size)));
      data = data.subspan(k_block_size);
      continue;
    }
    size_t take = std::min(data.size(), k_block_size - m_data.size());
    m_data.insert(m_data.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
    data = data.subspan(take);
    if (m_data.size() == k_block_size) flush_data_block();
  }
}

void FsVerityHasher::update_zeros(std::uint64_t count) {
  if (!m_data.empty()) {
    size_t take = static_cast<size_t>(std::min<std::uint64_t>(count, k_block_size - m_data.size()));
    m_data.resize(m_data.size() + take, std::byte{0});
    m_size += take;
    count -= take;
    if (m_data.size() == k_block_size) flush_data_block();
  }
  if (count >= k_block_size) {
    static const Sha256Sum zero_block = sha256_block(std::vector<std::byte>(k_block_size));
    add_repeated(0, zero_block, count / k_block_size);
    m_size += count / k_block_size * k_block_size;
    count %= k_block_size;
  }
  m_data.resize(m_data.size() + static_cast<size_t>(count), std::byte{0});  // less than a block
  m_size += count;
}

void FsVerityHasher::add_repeated(size_t level, const Sha256Sum& hash, std::uint64_t count) {
  if (m_levels.size() <= level) m_levels.resize(level + 1);
  // up to the next tree block boundary one by one (add_hash may flush the block)
  while (count > 0 && !m_levels[level].block.empty()) {
    add_hash(level, hash);
    --count;
  }
  constexpr std::uint64_t k_per_block = k_block_size / k_hash_size;
  if (count >= k_per_block) {
    std::vector<std::byte> block;
    block.reserve(k_block_size);
    const auto* bytes = reinterpret_cast<const std::byte*>(hash.data());
    for (std::uint64_t i = 0; i < k_per_block; ++i)
      block.insert(block.end(), bytes, bytes + k_hash_size);
    m_levels[level].count += count / k_per_block * k_per_block;
    add_repeated(level + 1, sha256_block(block), count / k_per_block);
    count %= k_per_block;
  }
  for (; count > 0; --count) add_hash(level, hash);
}

void FsVerityHasher::flush_data_block() {
  m_data.resize(k_block_size, std::byte{0});
  add_hash(0, sha256_block(m_data));
  m_data.clear();
}

void FsVerityHasher::add_hash(size_t level, const Sha256Sum& hash) {
  if (m_levels.size() <= level) m_levels.resize(level + 1);
  Level& l = m_levels[level];
  const auto* bytes = reinterpret_cast<const std::byte*>(hash.data());
  l.block.insert(l.block.end(), bytes, bytes + k_hash_size);
  ++l.count;
  if (l.block.size() == k_block_size) {
    Sha256Sum up = sha256_block(l.block);
    l.block.clear();
    add_hash(level + 1, up);
  }
}

VerityDigest FsVerityHasher::finish() {
  if (!m_data.empty()) flush_data_block();
  Sha256Sum root{};
  for (size_t level = 0; level < m_levels.size(); ++level) {
    Level& l = m_levels[level];
    if (l.count == 1 && level + 1 == m_levels.size()) {
      std::memcpy(root.data(), l.block.data(), k_hash_size);
      break;
    }
    if (!l.block.empty()) {
      l.block.resize(k_block_size, std::byte{0});
      Sha256Sum up = sha256_block(l.block);
      l.block.clear();
      add_hash(level + 1, up);
    }
  }
  std::array<std::byte, k_descriptor_size> desc{};
  desc[0] = std::byte{1};   // version
  desc[1] = std::byte{1};   // hash_algorithm: SHA-256
  desc[2] = std::byte{12};  // log2 of the block size
  desc[3] = std::byte{0};   // salt_size
  put_le64(desc.data() + 8, m_size);
  std::memcpy(desc.data() + 16, root.data(), k_hash_size);
  return sha256_block(desc);
}

Result<VerityDigest> fsverity_digest(Reader& reader) {
  FsVerityHasher hasher;
  std::vector<std::byte> buf(1 << 16);
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, reader.read(buf));
    if (n == 0) return hasher.finish();
    hasher.update(std::span(buf).first(n));
  }
}

VerityDigest fsverity_digest(std::span<const std::byte> data) {
  FsVerityHasher hasher;
  hasher.update(data);
  return hasher.finish();
}

VerityDigest fsverity_digest(std::string_view data) {
  return fsverity_digest(std::as_bytes(std::span(data)));
}

// Holes (SEEK_HOLE) are hashed as zeros without being read; a filesystem
// without hole reporting reports one hole at the end, and everything is read.
Result<VerityDigest> fsverity_digest_fd(int fd, std::string_view name) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail_errno(errno, "stat " + std::string(name));
  FsVerityHasher hasher;
  std::vector<std::byte> buf(1 << 16);
  off_t offset = 0;
  while (offset < st.st_size) {
    off_t data = ::lseek(fd, offset, SEEK_DATA);
    if (data < 0 && errno != ENXIO) return fail_errno(errno, "seek " + std::string(name));
    if (data < 0) data = st.st_size;  // only a hole is left
    hasher.update_zeros(static_cast<std::uint64_t>(data - offset));
    offset = data;
    if (offset >= st.st_size) break;
    off_t hole = ::lseek(fd, offset, SEEK_HOLE);
    if (hole < 0) return fail_errno(errno, "seek " + std::string(name));
    while (offset < hole) {
      auto want = std::min<std::uint64_t>(buf.size(), static_cast<std::uint64_t>(hole - offset));
      ASSIGN_OR_RETURN(size_t n, sys::pread_full(fd, std::span(buf).first(want), offset, name));
      if (n == 0) return fail(Errc::bad_input, std::string(name) + ": shrank while it was hashed");
      hasher.update(std::span(buf).first(n));
      offset += static_cast<off_t>(n);
    }
  }
  return hasher.finish();
}

Result<VerityDigest> fsverity_digest_file(const std::string& path) {
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open(path, O_RDONLY));
  return fsverity_digest_fd(fd.get(), path);
}

std::string verity_hex(const VerityDigest& digest) {
  return to_hex(digest);
}

Result<VerityDigest> parse_verity_hex(std::string_view hex) {
  VerityDigest out{};
  if (hex.size() != 2 * out.size()) {
    return fail(Errc::bad_input, "fs-verity digest must be 64 hex digits: " + std::string(hex));
  }
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = hex_value(hex[2 * i]);
    int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return fail(Errc::bad_input, "fs-verity digest is not hex: " + std::string(hex));
    }
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}

}  // namespace cairn::erofs
