#include "source/estargz_toc.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "oci/json_depth.h"
#include "util/tar_header.h"

namespace cairn {
namespace {

using Json = nlohmann::json;
namespace th = tar_header;

constexpr std::string_view k_footer_magic = "STARGZ";
constexpr size_t k_offset_digits = 16;

std::optional<std::uint64_t> unsigned_field(const Json& entry, const char* key) {
  auto it = entry.find(key);
  if (it == entry.end()) return 0;
  if (!it->is_number_unsigned()) return std::nullopt;
  return it->get<std::uint64_t>();
}

std::unexpected<Error> bad_entry(std::string_view what, size_t index, std::string_view name,
                                 std::string_view problem) {
  return fail(Errc::bad_input, std::string(what) + ": TOC entry " + std::to_string(index) +
                                   (name.empty() ? "" : " (\"" + std::string(name) + "\")") + ": " +
                                   std::string(problem));
}

// Builds the files from the entries, checking that chunks cover each file.
class TocFiles {
 public:
  TocFiles(std::uint64_t toc_offset, std::string_view what)
      : m_toc_offset(toc_offset), m_what(what) {}

  Result<void> add(const Json& entry, size_t index) {
    if (!entry.is_object()) return bad_entry(m_what, index, "", "not an object");
    auto type = entry.find("type");
    auto name = entry.find("name");
    if (type == entry.end() || !type->is_string() || name == entry.end() || !name->is_string()) {
      return bad_entry(m_what, index, "", "no \"type\" or \"name\"");
    }
    const std::string& kind = type->get_ref<const std::string&>();
    const std::string& path = name->get_ref<const std::string&>();
    if (kind == "reg") {
      TRY(finish_file(index));
      auto size = unsigned_field(entry, "size");
      if (!size) return bad_entry(m_what, index, path, "bad \"size\"");
      if (*size == 0) return {};
      auto digest = entry.find("digest");
      if (digest == entry.end() || !digest->is_string()) {
        return bad_entry(m_what, index, path, "no \"digest\"");
      }
      auto parsed = Digest::parse(digest->get_ref<const std::string&>());
      if (!parsed) return bad_entry(m_what, index, path, parsed.error().message());
      m_files.push_back({path, *size, std::move(*parsed), {}});
      m_open = true;
      return add_chunk(entry, index);
    }
    if (kind == "chunk") {
      if (!m_open || m_files.back().name != path) {
        return bad_entry(m_what, index, path, "a chunk that follows no file of its name");
      }
      return add_chunk(entry, index);
    }
    return finish_file(index);
  }

  Result<std::vector<EstargzFile>> finish(size_t entries) {
    TRY(finish_file(entries));
    return std::move(m_files);
  }

 private:
  Result<void> add_chunk(const Json& entry, size_t index) {
    EstargzFile& file = m_files.back();
    auto offset = unsigned_field(entry, "offset");
    auto chunk_offset = unsigned_field(entry, "chunkOffset");
    auto chunk_size = unsigned_field(entry, "chunkSize");
    auto inner = unsigned_field(entry, "innerOffset");
    if (!offset || !chunk_offset || !chunk_size || !inner || !entry.contains("offset")) {
      return bad_entry(m_what, index, file.name, "bad or missing offsets");
    }
    if (*chunk_offset != m_covered || m_covered >= file.size) {
      return bad_entry(m_what, index, file.name, "chunks do not follow each other");
    }
    std::uint64_t size = *chunk_size == 0 ? file.size - m_covered : *chunk_size;
    if (size > file.size - m_covered) return bad_entry(m_what, index, file.name, "chunk too large");
    if (*offset < m_last_member || *offset >= m_toc_offset) {
      return bad_entry(m_what, index, file.name, "offset out of order or past the TOC");
    }
    m_last_member = *offset;
    m_covered += size;
    file.chunks.push_back({*offset, *chunk_offset, size, *inner});
    return {};
  }

  Result<void> finish_file(size_t index) {
    if (!m_open) return {};
    m_open = false;
    const EstargzFile& file = m_files.back();
    std::uint64_t covered = m_covered;
    m_covered = 0;
    if (covered != file.size) {
      return bad_entry(m_what, index, file.name,
                       "chunks cover " + std::to_string(covered) + " of " +
                           std::to_string(file.size) + " bytes");
    }
    return {};
  }

  std::uint64_t m_toc_offset;
  std::string_view m_what;
  std::vector<EstargzFile> m_files;
  bool m_open = false;  // the last file may still get chunks
  std::uint64_t m_covered = 0;
  std::uint64_t m_last_member = 0;
};

}  // namespace

Result<std::optional<Digest>> parse_estargz_annotation(
    const std::map<std::string, std::string>& annotations, std::string_view what) {
  auto it = annotations.find(std::string(k_estargz_toc_digest));
  if (it == annotations.end()) return std::nullopt;
  auto digest = Digest::parse(it->second);
  if (!digest) {
    return fail(Errc::bad_input, std::string(what) + ": annotation " + it->first + "=\"" +
                                     it->second + "\": " + digest.error().message());
  }
  return std::optional<Digest>(std::move(*digest));
}

Result<std::uint64_t> parse_estargz_footer(std::string_view footer, std::uint64_t blob_size,
                                           std::string_view what) {
  auto bad = [what](std::string_view problem) {
    return fail(Errc::bad_input, std::string(what) + ": eStargz footer: " + std::string(problem));
  };
  // gzip header with FEXTRA (10 bytes), XLEN 26, subfield 'S' 'G' of 22 bytes.
  constexpr size_t k_subfield = 16;
  if (footer.size() != k_estargz_footer_size || footer.substr(0, 4) != "\x1f\x8b\x08\x04" ||
      footer.substr(10, 6) != std::string_view("\x1a\x00SG\x16\x00", 6) ||
      footer.substr(k_subfield + k_offset_digits, k_footer_magic.size()) != k_footer_magic) {
    return bad("not an eStargz footer");
  }
  std::uint64_t offset = 0;
  for (char c : footer.substr(k_subfield, k_offset_digits)) {
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return bad("the TOC offset is not hexadecimal");
    offset = offset * 16 + static_cast<std::uint64_t>(digit);
  }
  if (blob_size < k_estargz_footer_size || offset >= blob_size - k_estargz_footer_size) {
    return bad("the TOC offset " + std::to_string(offset) + " is not before the footer");
  }
  return offset;
}

Result<std::string> estargz_toc_json(std::string_view toc_tar, std::string_view what) {
  auto bad = [what] {
    return fail(Errc::bad_input, std::string(what) + ": the TOC member does not start with " +
                                     std::string(k_estargz_toc_name));
  };
  if (toc_tar.size() < th::k_block) return bad();
  th::Block block;
  std::memcpy(block.data(), toc_tar.data(), th::k_block);
  auto size = th::parse_number(block, 124, 12);
  if (!th::checksum_ok(block) || th::member_name(block, {}) != k_estargz_toc_name ||
      th::kind_of(th::type_flag(block)) != th::Kind::regular || !size ||
      *size > toc_tar.size() - th::k_block) {
    return bad();
  }
  return std::string(toc_tar.substr(th::k_block, *size));
}

Result<std::vector<EstargzFile>> parse_estargz_toc(std::string_view json, std::uint64_t toc_offset,
                                                   std::string_view what) {
  if (json_deeper_than(json)) {
    return fail(Errc::bad_input, std::string(what) + ": the TOC nests deeper than " +
                                     std::to_string(k_max_json_depth) + " levels");
  }
  Json doc = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return fail(Errc::bad_input, std::string(what) + ": the TOC is not a JSON object");
  }
  auto version = doc.find("version");
  if (version == doc.end() || *version != 1) {
    return fail(Errc::bad_input, std::string(what) + ": the TOC's \"version\" is not 1");
  }
  auto entries = doc.find("entries");
  if (entries == doc.end() || !entries->is_array()) {
    return fail(Errc::bad_input, std::string(what) + ": the TOC has no \"entries\" array");
  }
  TocFiles files(toc_offset, what);
  for (size_t i = 0; i < entries->size(); ++i) TRY(files.add((*entries)[i], i));
  return files.finish(entries->size());
}

}  // namespace cairn
