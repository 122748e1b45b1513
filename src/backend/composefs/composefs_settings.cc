#include "backend/composefs/composefs_settings.h"

#include <charconv>

namespace cairn::composefs {
namespace {

constexpr size_t k_max_hybrid_min_images = 1000000;

// The requested value for this open, else the recorded one, else FALLBACK;
// recorded when the store has none yet.
Result<std::string> choose(BackendSettings& settings, std::string_view key,
                           std::string_view fallback) {
  ASSIGN_OR_RETURN(auto recorded, settings.recorded(key));
  std::optional<std::string> requested = settings.requested(key);
  std::string chosen = requested ? *requested : recorded ? *recorded : std::string(fallback);
  if (!recorded) TRY(settings.record(key, chosen));
  return chosen;
}

Result<size_t> parse_hybrid_min(const std::string& text) {
  size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0 ||
      value > k_max_hybrid_min_images) {
    return fail(Errc::usage,
                "composefs hybrid_min_images must be a number >= 1, not \"" + text + "\"");
  }
  return value;
}

}  // namespace

Result<std::unique_ptr<ComposefsBackend>> open_configured(const std::string& store_root,
                                                          BackendSettings& settings) {
  // Checked before anything is recorded: a bad request leaves no setting.
  if (auto requested = settings.requested(k_mode_setting)) TRY(parse_mode(*requested));
  if (auto requested = settings.requested(k_hybrid_min_setting)) {
    TRY(parse_hybrid_min(*requested));
  }
  ASSIGN_OR_RETURN(std::string mode_name, choose(settings, k_mode_setting, "flat"));
  ASSIGN_OR_RETURN(Mode mode, parse_mode(mode_name));
  ASSIGN_OR_RETURN(std::string threshold, choose(settings, k_hybrid_min_setting,
                                                 std::to_string(k_default_hybrid_min_images)));
  ASSIGN_OR_RETURN(size_t hybrid_min_images, parse_hybrid_min(threshold));
  return ComposefsBackend::open(store_root, mode, hybrid_min_images);
}

}  // namespace cairn::composefs
