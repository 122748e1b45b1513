#include "oci/digest.h"

namespace cairn {

Result<Digest> Digest::parse(std::string_view text) {
  constexpr std::string_view k_prefix = "sha256:";
  bool ok = text.size() == k_prefix.size() + 64 && text.starts_with(k_prefix);
  for (size_t i = k_prefix.size(); ok && i < text.size(); ++i) {
    char c = text[i];
    ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }
  if (!ok) {
    std::string shown(text.substr(0, 100));
    return fail(Errc::bad_input, "invalid digest \"" + shown + "\"");
  }
  return Digest(std::string(text));
}

Digest Digest::from_sum(const Sha256Sum& sum) { return Digest("sha256:" + to_hex(sum)); }

}  // namespace cairn
