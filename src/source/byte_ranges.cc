// A multipart/byteranges body (RFC 9110 §14.6, RFC 2046 §5.1):
//
//   [preamble] CRLF "--" BOUNDARY CRLF
//   header lines (Content-Type, Content-Range: bytes A-B/T) CRLF
//   CRLF
//   B-A+1 bytes of data
//   CRLF "--" BOUNDARY ... CRLF "--" BOUNDARY "--" [epilogue]
//
// The data of a part is taken by the length its Content-Range gives, never
// by searching for the next boundary (the data may contain anything).
#include "source/byte_ranges.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace cairn {
namespace {

std::optional<std::uint64_t> parse_count(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The boundary parameter of "multipart/byteranges; boundary=X" (X may be quoted).
std::optional<std::string> boundary_of(std::string_view content_type) {
  std::string lowered = lower(content_type);
  if (!lowered.starts_with("multipart/byteranges")) return std::nullopt;
  size_t at = lowered.find("boundary=");
  if (at == std::string::npos) return std::nullopt;
  std::string_view value = content_type.substr(at + 9);
  value = value.substr(0, value.find(';'));
  value = trim(value);
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  if (value.empty()) return std::nullopt;
  return std::string(value);
}

std::unexpected<Error> bad_body(std::string_view what, std::string_view problem) {
  return fail(Errc::bad_input, std::string(what) + ": range answer: " + std::string(problem));
}

// The Content-Range of a part's header block.
std::optional<BlobRange> part_range(std::string_view headers) {
  while (!headers.empty()) {
    size_t eol = headers.find("\r\n");
    std::string_view line = headers.substr(0, eol);
    headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (lower(trim(line.substr(0, colon))) == "content-range") {
      return parse_content_range(trim(line.substr(colon + 1)));
    }
  }
  return std::nullopt;
}

Result<std::vector<RangePart>> parse_multipart(std::string_view boundary, std::string_view body,
                                               std::string_view what) {
  std::string delimiter = "--" + std::string(boundary);
  std::vector<RangePart> parts;
  size_t pos = body.find(delimiter);
  while (pos != std::string_view::npos) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") return parts;  // the closing delimiter
    if (body.substr(pos, 2) != "\r\n") return bad_body(what, "a boundary without its line end");
    size_t headers_end = body.find("\r\n\r\n", pos + 2);
    if (headers_end == std::string_view::npos) return bad_body(what, "a part without headers");
    std::optional<BlobRange> range = part_range(body.substr(pos + 2, headers_end - pos - 2));
    if (!range) return bad_body(what, "a part without a valid Content-Range");
    size_t data = headers_end + 4;
    if (body.size() - data < range->length) return bad_body(what, "a part cut short");
    parts.push_back(RangePart{range->offset, body.substr(data, range->length)});
    pos = body.find(delimiter, data + range->length);
  }
  return bad_body(what, "no closing boundary");
}

}  // namespace

std::string range_header(std::span<const BlobRange> ranges) {
  std::string out = "Range: bytes=";
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(ranges[i].offset) + "-" + std::to_string(ranges[i].end() - 1);
  }
  return out;
}

std::optional<BlobRange> parse_content_range(std::string_view value) {
  if (!value.starts_with("bytes ")) return std::nullopt;
  value.remove_prefix(6);
  size_t dash = value.find('-');
  size_t slash = value.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash) {
    return std::nullopt;
  }
  auto start = parse_count(value.substr(0, dash));
  auto last = parse_count(value.substr(dash + 1, slash - dash - 1));
  if (!start || !last || *last < *start || *last == UINT64_MAX) return std::nullopt;
  return BlobRange{*start, *last - *start + 1};
}

Result<std::vector<RangePart>> parse_range_parts(std::string_view content_type,
                                                 std::optional<std::string_view> content_range,
                                                 std::string_view body, std::string_view what) {
  if (std::optional<std::string> boundary = boundary_of(content_type)) {
    return parse_multipart(*boundary, body, what);
  }
  if (lower(content_type).starts_with("multipart/")) return bad_body(what, "no boundary");
  std::optional<BlobRange> range =
      content_range ? parse_content_range(*content_range) : std::nullopt;
  if (!range) return bad_body(what, "no valid Content-Range");
  if (range->length != body.size()) {
    return bad_body(what, "Content-Range says " + std::to_string(range->length) +
                              " bytes, the body has " + std::to_string(body.size()));
  }
  return std::vector<RangePart>{RangePart{range->offset, body}};
}

Result<std::vector<std::string>> pick_ranges(std::span<const RangePart> parts,
                                             std::span<const BlobRange> wanted,
                                             std::string_view what) {
  std::vector<std::string> out;
  for (const BlobRange& range : wanted) {
    auto covers = [&range](const RangePart& part) {
      return part.offset <= range.offset && range.end() <= part.offset + part.bytes.size();
    };
    auto part = std::ranges::find_if(parts, covers);
    if (part == parts.end()) {
      return bad_body(what, "bytes " + std::to_string(range.offset) + "-" +
                                std::to_string(range.end() - 1) + " are missing");
    }
    out.emplace_back(part->bytes.substr(range.offset - part->offset, range.length));
  }
  return out;
}

}  // namespace cairn
