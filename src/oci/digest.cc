#include "oci/digest.h"

#include <utility>

namespace cairn {

bool Digest::is_hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

namespace {

// A well-formed digest of another algorithm the OCI spec registers (sha512, sha384).
bool is_registered_other(std::string_view text) {
  for (auto [prefix, digits] : {std::pair{std::string_view("sha512:"), size_t{128}},
                                std::pair{std::string_view("sha384:"), size_t{96}}}) {
    if (!text.starts_with(prefix) || text.size() != prefix.size() + digits) continue;
    std::string_view hex = text.substr(prefix.size());
    return hex.find_first_not_of("0123456789abcdef") == std::string_view::npos;
  }
  return false;
}

}  // namespace

Result<Digest> Digest::parse(std::string_view text) {
  constexpr std::string_view k_prefix = "sha256:";
  bool ok = text.starts_with(k_prefix) && is_hex(text.substr(k_prefix.size()));
  if (!ok) {
    std::string shown(text.substr(0, 100));
    if (is_registered_other(text)) {
      return fail(Errc::unsupported, "digest \"" + shown + "\": the OCI spec allows " +
                                         std::string(text.substr(0, 6)) + ", but cairn names " +
                                         "and verifies content by sha256 only");
    }
    return fail(Errc::bad_input, "invalid digest \"" + shown + "\"");
  }
  return Digest(std::string(text));
}

Digest Digest::from_sum(const Sha256Sum& sum) {
  return Digest("sha256:" + to_hex(sum));
}

Result<void> check_digest(std::string_view what, const Digest& expected, const Digest& actual) {
  if (expected == actual) return {};
  return fail(Errc::digest_mismatch, std::string(what) + " mismatch: expected " + expected.str() +
                                         ", got " + actual.str());
}

}  // namespace cairn
