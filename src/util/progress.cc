#include "util/progress.h"

#include <array>
#include <cstdio>

namespace cairn {

ProgressReader::ProgressReader(Reader& inner, Report report, std::chrono::milliseconds interval)
    : m_inner(inner),
      m_report(std::move(report)),
      m_interval(interval),
      m_next(std::chrono::steady_clock::now() + interval) {}

ProgressReader::ProgressReader(std::unique_ptr<Reader> inner, Report report,
                               std::chrono::milliseconds interval)
    : m_owned(std::move(inner)),
      m_inner(*m_owned),
      m_report(std::move(report)),
      m_interval(interval),
      m_next(std::chrono::steady_clock::now() + interval) {}

Result<size_t> ProgressReader::read(std::span<std::byte> buf) {
  ASSIGN_OR_RETURN(size_t n, m_inner.read(buf));
  m_bytes += n;
  if (!m_report) return n;
  if (n == 0) {
    m_report(m_bytes);
    return n;
  }
  auto now = std::chrono::steady_clock::now();
  if (now >= m_next) {
    m_next = now + m_interval;
    m_report(m_bytes);
  }
  return n;
}

namespace {

std::string printf_string(const char* format, double value, const char* unit) {
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), format, value, unit);
  return buf.data();
}

}  // namespace

std::string format_bytes(std::uint64_t bytes) {
  if (bytes < 1000) return std::to_string(bytes) + " B";
  static constexpr std::array<const char*, 5> k_units{"kB", "MB", "GB", "TB", "PB"};
  double value = static_cast<double>(bytes) / 1000;
  size_t unit = 0;
  // 999.95 would print as "1000.0": move to the next unit from there on
  while (value >= 999.95 && unit + 1 < k_units.size()) {
    value /= 1000;
    ++unit;
  }
  return printf_string("%.1f %s", value, k_units[unit]);
}

std::string format_rate(std::uint64_t bytes, double seconds) {
  if (seconds <= 0) return "-";
  auto per_second = static_cast<std::uint64_t>(static_cast<double>(bytes) / seconds);
  return format_bytes(per_second) + "/s";
}

std::string format_layer_progress(const LayerProgress& layer) {
  std::string line = "layer " + std::to_string(layer.index + 1);
  if (layer.count != 0) line += "/" + std::to_string(layer.count);
  if (!layer.id.empty()) line += " " + std::string(layer.id);
  line += "  " + format_bytes(layer.done);
  if (layer.finished) {
    line += printf_string(" in %.1f %s", layer.seconds, "s");
  } else if (layer.total) {
    line += " / " + format_bytes(*layer.total);
  }
  return line + "  " + format_rate(layer.done, layer.seconds);
}

std::string format_import_summary(size_t ingested, size_t reused, std::uint64_t bytes,
                                  double seconds) {
  size_t layers = ingested + reused;
  return std::to_string(layers) + (layers == 1 ? " layer: " : " layers: ") +
         std::to_string(ingested) + " ingested, " + std::to_string(reused) + " reused; " +
         format_bytes(bytes) + printf_string(" in %.1f %s", seconds, "s") + "  " +
         format_rate(bytes, seconds);
}

}  // namespace cairn
