// libFuzzer target: strings from users and registries — image references
// (source/registry_reference.h), WWW-Authenticate challenges and base64
// (source/registry_auth.h), image names (store/image_name.h).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "source/registry_auth.h"
#include "source/registry_reference.h"
#include "store/image_name.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)cairn::parse_registry_reference(text);
  (void)cairn::parse_auth_challenge(text);
  (void)cairn::base64_decode(text);
  (void)cairn::check_image_name(std::string(text));
  return 0;
}
