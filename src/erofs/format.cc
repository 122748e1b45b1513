#include "erofs/format.h"

#include <array>

namespace cairn::erofs::format {
namespace {

constexpr std::uint32_t k_prime1 = 0x9E3779B1U;
constexpr std::uint32_t k_prime2 = 0x85EBCA77U;
constexpr std::uint32_t k_prime3 = 0xC2B2AE3DU;
constexpr std::uint32_t k_prime4 = 0x27D4EB2FU;
constexpr std::uint32_t k_prime5 = 0x165667B1U;

std::uint32_t rotl(std::uint32_t v, int r) {
  return (v << r) | (v >> (32 - r));
}

std::uint32_t read_le32(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

std::uint32_t accumulate(std::uint32_t acc, std::uint32_t lane) {
  return rotl(acc + lane * k_prime2, 13) * k_prime1;
}

}  // namespace

XattrName split_xattr_name(std::string_view name) {
  struct Prefix {
    std::string_view text;
    std::uint8_t index;
  };
  static constexpr std::array<Prefix, 5> k_prefixes{{
      {"user.", 1},
      {"system.posix_acl_access", 2},
      {"system.posix_acl_default", 3},
      {"trusted.", 4},
      {"security.", 6},
  }};
  for (const Prefix& p : k_prefixes) {
    if (name.starts_with(p.text)) return {p.index, name.substr(p.text.size())};
  }
  return {0, name};
}

std::uint64_t xattr_entry_size(std::string_view name, std::string_view value) {
  return round_up(k_xattr_entry_size + split_xattr_name(name).suffix.size() + value.size(), 4);
}

std::uint32_t xxh32(std::string_view data, std::uint32_t seed) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const unsigned char* end = p + data.size();
  std::uint32_t h;
  if (data.size() >= 16) {
    std::array<std::uint32_t, 4> v{seed + k_prime1 + k_prime2, seed + k_prime2, seed,
                                   seed - k_prime1};
    for (; end - p >= 16; p += 16) {
      for (int lane = 0; lane < 4; ++lane) v[lane] = accumulate(v[lane], read_le32(p + 4 * lane));
    }
    h = rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18);
  } else {
    h = seed + k_prime5;
  }
  h += static_cast<std::uint32_t>(data.size());
  for (; end - p >= 4; p += 4) h = rotl(h + read_le32(p) * k_prime3, 17) * k_prime4;
  for (; p < end; ++p) h = rotl(h + *p * k_prime5, 11) * k_prime1;
  h ^= h >> 15;
  h *= k_prime2;
  h ^= h >> 13;
  h *= k_prime3;
  h ^= h >> 16;
  return h;
}

}  // namespace cairn::erofs::format
