// Records are read with a line buffer that grows to the longest line
// (bounded by k_max_line).
#include "store/record_references.h"

#include <fcntl.h>

#include <nlohmann/json.hpp>

#include "layer/decompress.h"
#include "source/registry_auth.h"
#include "util/sys.h"

namespace cairn {
namespace {

using Json = nlohmann::json;

constexpr size_t k_chunk = 64 << 10;
constexpr size_t k_max_line = 64 << 20;
constexpr std::int64_t k_file_type = 1;

// Calls `line` for each line of `in`.
template <typename Fn>
Result<void> for_each_line(Reader& in, const std::string& what, Fn line) {
  std::string buf;
  std::string chunk(k_chunk, '\0');
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, in.read(std::as_writable_bytes(std::span(chunk))));
    if (n == 0) break;
    buf.append(chunk, 0, n);
    size_t start = 0;
    for (size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1) {
      TRY(line(std::string_view(buf).substr(start, nl - start)));
    }
    buf.erase(0, start);
    if (buf.size() > k_max_line) return fail(Errc::bad_input, what + ": a line too long");
  }
  if (!buf.empty()) TRY(line(std::string_view(buf)));
  return {};
}

std::optional<std::string> member_name(const Json& record) {
  auto raw = record.find("name_raw");
  if (raw != record.end() && raw->is_string()) {
    auto decoded = base64_decode(raw->get_ref<const std::string&>());
    if (!decoded) return std::nullopt;
    return std::move(*decoded);
  }
  auto plain = record.find("name");
  if (plain != record.end() && plain->is_string()) return plain->get<std::string>();
  return std::nullopt;
}

}  // namespace

Result<void> for_each_reference(const std::string& path, const ReferenceVisitor& visit) {
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open(path, O_RDONLY));
  ASSIGN_OR_RETURN(auto lines, make_decompressor(std::make_unique<FdReader>(std::move(fd), path),
                                                 Compression::gzip));
  ContentCounter counter;
  return for_each_line(*lines, path, [&](std::string_view line) -> Result<void> {
    Json record = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!record.is_object() || record.value("type", std::int64_t{0}) != k_file_type) return {};
    std::optional<std::string> name = member_name(record);
    if (!name) return {};
    auto size = record.find("size");
    std::uint64_t bytes =
        size != record.end() && size->is_number_unsigned() ? size->get<std::uint64_t>() : 0;
    ContentRef ref = counter.next(std::move(*name), bytes);
    std::optional<Digest> sha256;
    auto digest = record.find("digest");
    if (digest != record.end() && digest->is_string()) {
      auto parsed = Digest::parse(digest->get_ref<const std::string&>());
      if (parsed) sha256 = *parsed;
    }
    return visit(ref, sha256);
  });
}

}  // namespace cairn
