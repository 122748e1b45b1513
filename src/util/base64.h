// Standard base64 (RFC 4648, with padding), for the tar-split records that
// layer/ writes. (source/registry_auth.h has the decoder the readers use.)
#pragma once

#include <string>
#include <string_view>

namespace cairn {

// Appends the base64 encoding of DATA to OUT.
void append_base64(std::string& out, std::string_view data);

}  // namespace cairn
