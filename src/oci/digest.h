// Content digests: "sha256:" followed by 64 lowercase hex digits.
//
// A Digest can only be made by parse() (which validates) or from a computed
// sum, so a Digest is always safe to use as a path component: every digest
// read from a manifest, config, archive or registry goes through parse()
// before it touches the filesystem.
#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "util/error.h"
#include "util/sha256.h"

namespace cairn {

class Digest {
 public:
  // Accepts exactly "sha256:" + 64 lowercase hex. "sha512:" and "sha384:"
  // (registered by the OCI spec) are Errc::unsupported, saying so; anything
  // else is Errc::bad_input naming the offending text.
  static Result<Digest> parse(std::string_view text);
  static Digest from_sum(const Sha256Sum& sum);
  static Digest of(std::string_view data) { return from_sum(Sha256::of(data)); }
  // True for exactly 64 lowercase hex digits (a digest's hex part, e.g. a
  // file or dataset named by one).
  static bool is_hex(std::string_view text);

  // "sha256:<hex>".
  const std::string& str() const { return m_text; }
  // The 64 hex digits.
  std::string_view hex() const { return std::string_view(m_text).substr(7); }
  // First 12 hex digits, for display.
  std::string_view short_hex() const { return hex().substr(0, 12); }

  auto operator<=>(const Digest&) const = default;

 private:
  explicit Digest(std::string text) : m_text(std::move(text)) {}
  std::string m_text;
};

// Errc::digest_mismatch "WHAT mismatch: expected E, got A" unless equal.
Result<void> check_digest(std::string_view what, const Digest& expected, const Digest& actual);

}  // namespace cairn

template <>
struct std::hash<cairn::Digest> {
  size_t operator()(const cairn::Digest& d) const noexcept {
    return std::hash<std::string>()(d.str());
  }
};
