#include "source/zstd_chunked_toc.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "oci/json_depth.h"
#include "oci/zstd_chunked_keys.h"
#include "util/split.h"

namespace cairn {
namespace {

using Json = nlohmann::json;

using zstd_chunked::k_crfs_toc_type;
using zstd_chunked::k_manifest_checksum;
using zstd_chunked::k_manifest_position;
using zstd_chunked::k_new_prefix;
using zstd_chunked::k_old_prefix;
using zstd_chunked::k_tarsplit_position;

struct Annotation {
  std::string key;
  std::string value;
};

// The value under the newer name, else under the older one.
std::optional<Annotation> find_key(const std::map<std::string, std::string>& annotations,
                                   std::string_view suffix) {
  for (std::string_view prefix : {k_new_prefix, k_old_prefix}) {
    std::string key = std::string(prefix) + std::string(suffix);
    auto it = annotations.find(key);
    if (it != annotations.end()) return Annotation{key, it->second};
  }
  return std::nullopt;
}

std::optional<std::uint64_t> parse_count(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// "N:N:N[:N…]" with exactly `count` fields.
std::optional<std::vector<std::uint64_t>> parse_fields(std::string_view text, size_t count) {
  std::vector<std::uint64_t> out;
  for (std::string_view field : split(text, ':')) {
    auto value = parse_count(field);
    if (!value) return std::nullopt;
    out.push_back(*value);
  }
  if (out.size() != count) return std::nullopt;
  return out;
}

std::unexpected<Error> bad_annotation(std::string_view what, const Annotation& a,
                                      std::string_view problem) {
  return fail(Errc::bad_input, std::string(what) + ": annotation " + a.key + "=\"" + a.value +
                                   "\": " + std::string(problem));
}

Result<BlobRange> checked_range(std::uint64_t offset, std::uint64_t length,
                                std::optional<std::uint64_t> blob_size, std::string_view what,
                                const Annotation& a) {
  if (length == 0) return bad_annotation(what, a, "an empty range");
  if (offset < k_skippable_header) return bad_annotation(what, a, "no room for a frame header");
  if (offset > UINT64_MAX - length || (blob_size && offset + length > *blob_size)) {
    return bad_annotation(what, a, "ends past the end of the blob");
  }
  return BlobRange{offset, length};
}

Result<std::optional<BlobRange>> parse_tar_split(
    const std::map<std::string, std::string>& annotations, std::optional<std::uint64_t> blob_size,
    std::string_view what) {
  std::optional<Annotation> position = find_key(annotations, k_tarsplit_position);
  if (!position) return std::nullopt;
  auto fields = parse_fields(position->value, 3);
  if (!fields) return bad_annotation(what, *position, "expected OFFSET:LENGTH:UNCOMPRESSED");
  return checked_range((*fields)[0], (*fields)[1], blob_size, what, *position);
}

std::unexpected<Error> bad_entry(std::string_view what, size_t index, std::string_view name,
                                 std::string_view problem) {
  return fail(Errc::bad_input, std::string(what) + ": TOC entry " + std::to_string(index) + " (\"" +
                                   std::string(name) + "\"): " + std::string(problem));
}

std::optional<std::uint64_t> count_field(const Json& entry, std::string_view key) {
  auto it = entry.find(key);
  if (it == entry.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<std::uint64_t>();
}

// One "reg" entry: nullopt when it has no content of its own.
Result<std::optional<TocFile>> parse_file(const Json& entry, size_t index,
                                          std::uint64_t content_end, std::string_view what) {
  auto name = entry.find("name");
  if (name == entry.end() || !name->is_string() || name->get_ref<const std::string&>().empty()) {
    return bad_entry(what, index, "", "no \"name\"");
  }
  const std::string& path = name->get_ref<const std::string&>();
  if (entry.contains("size") && !count_field(entry, "size")) {
    return bad_entry(what, index, path, "\"size\" is not a count of bytes");
  }
  std::uint64_t size = count_field(entry, "size").value_or(0);
  if (size == 0 || (!entry.contains("offset") && !entry.contains("endOffset"))) {
    return std::nullopt;
  }
  auto offset = count_field(entry, "offset");
  auto end = count_field(entry, "endOffset");
  if (!offset || !end) return bad_entry(what, index, path, "\"offset\"/\"endOffset\" not counts");
  if (*end <= *offset) return bad_entry(what, index, path, "\"endOffset\" not after \"offset\"");
  if (*end > content_end) {
    return bad_entry(
        what, index, path,
        "frames end past the layer's content (at byte " + std::to_string(content_end) + ")");
  }
  auto digest = entry.find("digest");
  if (digest == entry.end() || !digest->is_string()) {
    return bad_entry(what, index, path, "no \"digest\"");
  }
  auto parsed = Digest::parse(digest->get_ref<const std::string&>());
  if (!parsed) return bad_entry(what, index, path, parsed.error().message());
  return TocFile{path, size, std::move(*parsed), BlobRange{*offset, *end - *offset}};
}

}  // namespace

std::uint64_t ChunkedLayout::content_end() const {
  std::uint64_t first = toc.offset;
  if (tar_split) first = std::min(first, tar_split->offset);
  return first - k_skippable_header;
}

Result<std::optional<ChunkedLayout>> parse_chunked_annotations(
    const std::map<std::string, std::string>& annotations, std::optional<std::uint64_t> blob_size,
    std::string_view what) {
  std::optional<Annotation> position = find_key(annotations, k_manifest_position);
  std::optional<Annotation> checksum = find_key(annotations, k_manifest_checksum);
  if (!position && !checksum) return std::nullopt;
  if (!position || !checksum) {
    const Annotation& present = position ? *position : *checksum;
    return bad_annotation(what, present, "the TOC's position and checksum come together");
  }
  auto fields = parse_fields(position->value, 4);
  if (!fields) return bad_annotation(what, *position, "expected OFFSET:LENGTH:UNCOMPRESSED:TYPE");
  if ((*fields)[3] != k_crfs_toc_type) return bad_annotation(what, *position, "unknown TOC type");
  ASSIGN_OR_RETURN(BlobRange toc,
                   checked_range((*fields)[0], (*fields)[1], blob_size, what, *position));
  auto digest = Digest::parse(checksum->value);
  if (!digest) return bad_annotation(what, *checksum, digest.error().message());
  ASSIGN_OR_RETURN(std::optional<BlobRange> tar_split,
                   parse_tar_split(annotations, blob_size, what));
  return ChunkedLayout{toc, (*fields)[2], std::move(*digest), tar_split};
}

Result<std::vector<TocFile>> parse_chunked_toc(std::string_view json, std::uint64_t content_end,
                                               std::string_view what) {
  if (json_deeper_than(json)) {
    return fail(Errc::bad_input, std::string(what) + ": the TOC nests deeper than " +
                                     std::to_string(k_max_json_depth) + " levels");
  }
  Json doc = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return fail(Errc::bad_input, std::string(what) + ": the TOC is not a JSON object");
  }
  if (count_field(doc, "version") != 1) {
    return fail(Errc::bad_input, std::string(what) + ": the TOC's \"version\" is not 1");
  }
  auto entries = doc.find("entries");
  if (entries == doc.end() || !entries->is_array()) {
    return fail(Errc::bad_input, std::string(what) + ": the TOC has no \"entries\" array");
  }
  std::vector<TocFile> files;
  std::uint64_t previous_end = 0;
  for (size_t i = 0; i < entries->size(); ++i) {
    const Json& entry = (*entries)[i];
    if (!entry.is_object()) return bad_entry(what, i, "", "not an object");
    auto type = entry.find("type");
    if (type == entry.end() || !type->is_string()) return bad_entry(what, i, "", "no \"type\"");
    if (type->get_ref<const std::string&>() != "reg") continue;
    ASSIGN_OR_RETURN(std::optional<TocFile> file, parse_file(entry, i, content_end, what));
    if (!file) continue;
    if (file->frames.offset < previous_end) {
      return bad_entry(what, i, file->name, "frames overlap or precede the previous file's");
    }
    previous_end = file->frames.end();
    files.push_back(std::move(*file));
  }
  return files;
}

}  // namespace cairn
