// Splitting text at a separator.
#pragma once

#include <string_view>
#include <vector>

namespace cairn {

// The fields of TEXT between SEPARATORs, empty ones included: "a//b" gives
// {"a", "", "b"}, "" gives {""}. The views point into TEXT.
std::vector<std::string_view> split(std::string_view text, char separator);

}  // namespace cairn
