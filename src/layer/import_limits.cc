#include "layer/import_limits.h"

#include <charconv>
#include <string>

namespace cairn {

Result<std::uint64_t> parse_limit(std::string_view setting, std::string_view value,
                                  bool byte_suffixes) {
  int shift = 0;
  if (byte_suffixes && !value.empty()) {
    constexpr std::string_view k_suffixes = "KMGT";
    if (size_t at = k_suffixes.find(value.back()); at != std::string_view::npos) {
      shift = 10 * static_cast<int>(at + 1);
      value.remove_suffix(1);
    }
  }
  std::uint64_t number = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() || number == 0 ||
      number > (UINT64_MAX >> shift)) {
    return fail(Errc::usage, std::string(setting) + ": expected a number above 0" +
                                 (byte_suffixes ? " (K, M, G, T suffixes allowed)" : "") +
                                 ", got \"" + std::string(value) + "\"");
  }
  return number << shift;
}

Result<void> check_image_layers(std::uint64_t layers, const ImportLimits& limits) {
  if (layers <= limits.image_layers) return {};
  return fail(Errc::bad_input,
              "the image has " + std::to_string(layers) + " layers, more than the limit of " +
                  std::to_string(limits.image_layers) + " (setting limits.image_layers)");
}

Result<void> LimitedSink::add(const TarEntry& entry, EntryData& data) {
  if (++m_entries > m_limits.layer_entries) {
    return fail(Errc::bad_input, "the layer has more than " +
                                     std::to_string(m_limits.layer_entries) +
                                     " entries, the limit (setting limits.layer_entries)");
  }
  if (entry.type == EntryType::regular) {
    if (entry.size > m_limits.layer_bytes - m_bytes) {
      return fail(Errc::bad_input,
                  "the layer's files add up to more than " + std::to_string(m_limits.layer_bytes) +
                      " bytes, the limit (setting limits.layer_bytes), at " + entry.path);
    }
    m_bytes += entry.size;
  }
  return m_inner.add(entry, data);
}

}  // namespace cairn
