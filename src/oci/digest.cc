#include "oci/digest.h"

namespace cairn {

bool Digest::is_hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<Digest> Digest::parse(std::string_view text) {
  constexpr std::string_view k_prefix = "sha256:";
  bool ok = text.starts_with(k_prefix) && is_hex(text.substr(k_prefix.size()));
  if (!ok) {
    std::string shown(text.substr(0, 100));
    return fail(Errc::bad_input, "invalid digest \"" + shown + "\"");
  }
  return Digest(std::string(text));
}

Digest Digest::from_sum(const Sha256Sum& sum) { return Digest("sha256:" + to_hex(sum)); }

Result<void> check_digest(std::string_view what, const Digest& expected, const Digest& actual) {
  if (expected == actual) return {};
  return fail(Errc::digest_mismatch, std::string(what) + " mismatch: expected " + expected.str() +
                                         ", got " + actual.str());
}

}  // namespace cairn
