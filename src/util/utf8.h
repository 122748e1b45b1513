// UTF-8 validity (RFC 3629: no overlong forms, no surrogates, at most
// U+10FFFF), for names that go into JSON records.
#pragma once

#include <string_view>

namespace cairn {

bool valid_utf8(std::string_view s);

}  // namespace cairn
