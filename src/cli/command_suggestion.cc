#include "cli/command_suggestion.h"

#include <algorithm>

namespace cairn::cli {
namespace {

// Optimal string alignment distance.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::optional<std::string> closest_command(std::string_view typed,
                                           const std::vector<std::string>& known) {
  std::optional<std::string> best;
  size_t best_distance = std::clamp<size_t>(typed.size() / 3, 1, 3) + 1;
  for (const std::string& name : known) {
    size_t distance = edit_distance(typed, name);
    if (distance < best_distance) {
      best = name;
      best_distance = distance;
    }
  }
  return best;
}

std::string command_word(int argc, char** argv, const std::vector<std::string>& valued) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") return {};
    if (!arg.starts_with("-")) return std::string(arg);
    if (std::find(valued.begin(), valued.end(), arg) != valued.end()) ++i;
  }
  return {};
}

}  // namespace cairn::cli
