// "did you mean …?" for a mistyped command.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::cli {

// The known command closest to TYPED by edit distance (insertions, deletions,
// substitutions and swaps of neighbours), if one is within a third of its
// length (at least 1, at most 3 edits); ties go to the earlier one in KNOWN.
std::optional<std::string> closest_command(std::string_view typed,
                                           const std::vector<std::string>& known);

// The command word of ARGV: the first argument that is neither an option nor
// the value of a global option that takes one (VALUED, e.g. "--root"); empty
// if there is none.
std::string command_word(int argc, char** argv, const std::vector<std::string>& valued);

}  // namespace cairn::cli
