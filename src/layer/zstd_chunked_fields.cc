#include "layer/zstd_chunked_fields.h"

#include <cstdio>
#include <ctime>

namespace cairn::zstd_chunked {

std::string_view toc_type(char type) {
  switch (type) {
    case '0':
    case '\0':
    case '7': return "reg";
    case '1': return "hardlink";
    case '2': return "symlink";
    case '3': return "char";
    case '4': return "block";
    case '5': return "dir";
    case '6': return "fifo";
    default: return "";
  }
}

std::optional<std::pair<std::int64_t, long>> parse_pax_time(std::string_view text) {
  bool negative = text.starts_with('-');
  if (negative) text.remove_prefix(1);
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  if (whole.empty() || whole.size() > 18) return std::nullopt;
  std::int64_t sec = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    sec = sec * 10 + (c - '0');
  }
  long nsec = 0;
  for (size_t i = 0; i < fraction.size(); ++i) {
    if (fraction[i] < '0' || fraction[i] > '9') return std::nullopt;
    if (i < 9) nsec = nsec * 10 + (fraction[i] - '0');
  }
  for (size_t i = fraction.size(); i < 9; ++i) nsec *= 10;
  if (negative) {
    sec = -sec;
    if (nsec > 0) {
      sec -= 1;
      nsec = 1'000'000'000 - nsec;
    }
  }
  return std::pair{sec, nsec};
}

std::optional<std::string> rfc3339(std::int64_t sec, long nsec) {
  std::tm tm{};
  auto t = static_cast<std::time_t>(sec);
  if (gmtime_r(&t, &tm) == nullptr || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
    return std::nullopt;
  }
  char text[40];
  size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(text, n);
  if (nsec > 0) {
    char fraction[24];
    std::snprintf(fraction, sizeof fraction, ".%09ld", nsec);
    std::string f(fraction);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out + "Z";
}

}  // namespace cairn::zstd_chunked
