#include "source/upload_state.h"

#include <charconv>

namespace cairn {

Result<std::uint64_t> parse_upload_range(std::string_view range) {
  auto bad = [&] {
    return fail(Errc::bad_input,
                "upload Range \"" + std::string(range.substr(0, 64)) + "\": expected 0-N");
  };
  if (range.starts_with("bytes=")) range.remove_prefix(6);
  if (!range.starts_with("0-")) return bad();
  std::string_view end = range.substr(2);
  std::uint64_t last = 0;
  auto [ptr, ec] = std::from_chars(end.data(), end.data() + end.size(), last);
  if (ec != std::errc() || ptr != end.data() + end.size() || end.empty()) return bad();
  return last == 0 ? 0 : last + 1;
}

Result<UploadState> parse_upload_state(const HttpResponse& response, std::string_view request_url,
                                       std::string_view what) {
  auto location = response.header("location");
  if (!location || location->empty()) {
    return fail(Errc::bad_input, std::string(what) + ": HTTP " + std::to_string(response.status) +
                                     " without a Location for the upload");
  }
  UploadState state{resolve_url(request_url, *location), 0};
  if (auto range = response.header("range")) {
    auto received = parse_upload_range(*range);
    if (!received) return fail(std::move(received).error().wrap(what));
    state.received = *received;
  }
  return state;
}

std::string with_query_parameter(std::string_view url, std::string_view key,
                                 std::string_view value) {
  char separator = url.find('?') == std::string_view::npos ? '?' : '&';
  return std::string(url) + separator + std::string(key) + "=" + url_escape(value);
}

}  // namespace cairn
