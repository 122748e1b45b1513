// Reassembling a layer tar from docker's tar-split record.
//
// The record is a list of JSON lines. A segment line carries raw tar bytes
// in base64; a file line names a member whose content lies in the unpacked
// layer directory. The reader walks the lines lazily: at any time it holds
// at most one decoded segment and one open file, and file contents go from
// read(2) straight into the caller's buffer.
//
// Lines are cut from the records stream with a buffer that grows to the
// longest line (bounded by k_max_line), so the records Reader is read in big
// chunks. Each non-empty line is parsed as one JSON object; a partial last
// line (the records cut short) fails to parse unless it is a whole object.
// (tar-split's own unpacker takes an unparseable last line for the end of
// the records; here it is an error, and a diff_id check would fail anyway.)
//
// File names are cleaned lexically before they are used, as docker's
// unpacker cleaned them when it wrote the files ("/", "." and "a/.." go); a
// name that is empty or climbs above the layer directory is refused. The
// file is opened with openat2 so that no symlink (nor a magic link) is
// followed and the path cannot leave the layer directory. The file must be a regular file
// of exactly the recorded size and must not end early while it is read: any
// difference means the layer directory is no longer what was unpacked.
// O_NONBLOCK keeps a FIFO in place of a file from blocking the open.
#include "source/tar_split.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "oci/digest.h"
#include "oci/json_depth.h"
#include "source/registry_auth.h"
#include "util/fd_tree.h"
#include "util/lexical_path.h"
#include "util/split.h"
#include "util/sys.h"

namespace cairn {
namespace {

using Json = nlohmann::json;

constexpr size_t k_chunk = 64 * 1024;
constexpr size_t k_max_line = 64 << 20;
// As tar-split numbers them: FileType = 1, SegmentType = 2.
constexpr std::int64_t k_file_type = 1;
constexpr std::int64_t k_segment_type = 2;
constexpr int k_open_flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK;
constexpr std::uint64_t k_resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

// Cuts a byte stream into lines; the last one may lack its '\n'.
class LineSplitter {
 public:
  explicit LineSplitter(std::unique_ptr<Reader> in) : m_in(std::move(in)) {}

  // The next line without its '\n', nullopt at the end of the stream. The
  // view stays valid until the next call.
  Result<std::optional<std::string_view>> next() {
    size_t searched = 0;
    for (;;) {
      const char* start = m_buf.data() + m_begin;
      size_t unsearched = m_end - m_begin - searched;
      const void* nl = unsearched > 0 ? std::memchr(start + searched, '\n', unsearched) : nullptr;
      if (nl) return take(static_cast<size_t>(static_cast<const char*>(nl) - start), 1);
      searched = m_end - m_begin;
      if (m_eof) {
        if (searched == 0) return std::nullopt;
        return take(searched, 0);
      }
      TRY(fill());
    }
  }

 private:
  std::optional<std::string_view> take(size_t length, size_t terminator) {
    std::string_view line(m_buf.data() + m_begin, length);
    m_begin += length + terminator;
    return line;
  }

  Result<void> fill() {
    if (m_begin > 0) {
      std::memmove(m_buf.data(), m_buf.data() + m_begin, m_end - m_begin);
      m_end -= m_begin;
      m_begin = 0;
    }
    if (m_end == m_buf.size()) {
      if (m_buf.size() >= k_max_line) {
        return fail(Errc::bad_input, "a line longer than " + std::to_string(k_max_line) + " bytes");
      }
      m_buf.resize(std::max(k_chunk, 2 * m_buf.size()));
    }
    ASSIGN_OR_RETURN(size_t n, m_in->read(std::as_writable_bytes(std::span(m_buf).subspan(m_end))));
    if (n == 0) m_eof = true;
    m_end += n;
    return {};
  }

  std::unique_ptr<Reader> m_in;
  std::vector<char> m_buf;
  size_t m_begin = 0;
  size_t m_end = 0;
  bool m_eof = false;
};

std::string open_failure(const Error& err) {
  if (err.is_errno(ENOENT)) return "is missing";
  if (err.is_errno(ELOOP)) return "leads through a symlink";
  if (err.is_errno(ENOTDIR)) return "has a parent that is not a directory";
  if (err.is_errno(EXDEV)) return "leaves the layer directory";
  if (err.is_errno(ENXIO) || err.is_errno(ENODEV)) return "is not a regular file";
  return {};
}

// Docker's unpacked layer directory: files by their cleaned member names.
class LayerDirContents final : public LayerContents {
 public:
  explicit LayerDirContents(UniqueFd dir) : m_dir(std::move(dir)) {}

  Result<std::unique_ptr<Reader>> open(const ContentRef& ref) override {
    // Cleaned lexically, as docker's unpacker placed it ("a/./b/../c" is "a/c").
    std::optional<std::string> rel = clean_relative_path(ref.name);
    if (!rel) {
      return fail(Errc::bad_input,
                  "file name climbs out of the layer directory: \"" + ref.name + "\"");
    }
    if (rel->empty()) return fail(Errc::bad_input, "an empty file name: \"" + ref.name + "\"");
    auto fd = openat2_fd(m_dir.get(), *rel, k_open_flags, k_resolve);
    if (!fd) {
      std::string why = open_failure(fd.error());
      if (!why.empty()) return changed(*rel, why);
      return fail(std::move(fd).error());
    }
    ASSIGN_OR_RETURN(struct stat st, sys::fstat(fd->get(), *rel));
    if (!S_ISREG(st.st_mode)) return changed(*rel, "is not a regular file");
    if (static_cast<std::uint64_t>(st.st_size) != ref.size) {
      return changed(*rel, "has " + std::to_string(st.st_size) + " bytes, the record says " +
                               std::to_string(ref.size));
    }
    return std::unique_ptr<Reader>(std::make_unique<FdReader>(std::move(*fd), *rel));
  }

 private:
  static std::unexpected<Error> changed(const std::string& path, const std::string& why) {
    return fail(Errc::bad_input,
                path + ": " + why + " (the layer directory changed since it was unpacked)");
  }

  UniqueFd m_dir;
};

}  // namespace

struct TarSplitReader::State {
  State(std::unique_ptr<Reader> records, std::unique_ptr<LayerContents> layer_contents,
        std::string reader_name)
      : lines(std::move(records)),
        contents(std::move(layer_contents)),
        name(std::move(reader_name)) {}

  // Loads the next segment or file, or sets `done`.
  Result<void> next_record();
  Result<void> parse_line(std::string_view line);
  Result<void> load_segment(const Json& record);
  Result<void> load_file(const Json& record);
  Result<std::string> member_name(const Json& record);
  Result<std::optional<Digest>> recorded_digest(const Json& record);
  Result<size_t> read_file(std::span<std::byte> buf);
  Result<void> check_file_digest();

  std::string line_context() const { return name + ": tar-split line " + std::to_string(line_no); }
  std::unexpected<Error> bad_line(const std::string& why) const {
    return fail(Errc::bad_input, line_context() + ": " + why);
  }

  LineSplitter lines;
  std::unique_ptr<LayerContents> contents;
  ContentCounter counter;
  std::string name;
  std::uint64_t line_no = 0;
  bool done = false;

  std::string segment;
  size_t segment_pos = 0;

  std::unique_ptr<Reader> file;
  ContentRef ref;
  std::optional<Digest> file_digest;
  std::optional<Sha256> file_sha;
  std::uint64_t file_left = 0;
};

Result<void> TarSplitReader::State::next_record() {
  for (;;) {
    auto line = lines.next();
    if (!line) return fail(std::move(line).error().wrap(name + ": tar-split records"));
    if (!*line) {
      done = true;
      return {};
    }
    ++line_no;
    if (!(*line)->empty()) return parse_line(**line);
  }
}

Result<void> TarSplitReader::State::parse_line(std::string_view line) {
  if (json_deeper_than(line)) return bad_line("nested too deep");
  Json record = Json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (record.is_discarded() || !record.is_object()) return bad_line("not a JSON object");
  auto type = record.find("type");
  if (type == record.end() || !type->is_number_integer()) {
    return bad_line("no integer \"type\"");
  }
  std::int64_t t = type->get<std::int64_t>();
  if (t == k_segment_type) return load_segment(record);
  if (t == k_file_type) return load_file(record);
  return bad_line("unknown type " + std::to_string(t));
}

Result<void> TarSplitReader::State::load_segment(const Json& record) {
  auto payload = record.find("payload");
  if (payload == record.end() || !(payload->is_string() || payload->is_null())) {
    return bad_line("segment without a string \"payload\"");
  }
  segment.clear();
  segment_pos = 0;
  if (payload->is_null()) return {};
  auto decoded = base64_decode(payload->get_ref<const std::string&>());
  if (!decoded) return bad_line("\"payload\" is not base64");
  segment = std::move(*decoded);
  return {};
}

Result<void> TarSplitReader::State::load_file(const Json& record) {
  std::uint64_t size = 0;
  auto size_field = record.find("size");
  if (size_field != record.end()) {
    if (!size_field->is_number_unsigned()) return bad_line("\"size\" is not a count of bytes");
    size = size_field->get<std::uint64_t>();
  }
  if (size == 0) {
    // Counted for the occurrences, never opened.
    if (record.contains("name") || record.contains("name_raw")) {
      ASSIGN_OR_RETURN(std::string member, member_name(record));
      counter.next(std::move(member), 0);
    }
    return {};
  }
  ASSIGN_OR_RETURN(std::string member, member_name(record));
  ASSIGN_OR_RETURN(file_digest, recorded_digest(record));
  ref = counter.next(std::move(member), size);
  auto opened = contents->open(ref);
  if (!opened) return fail(std::move(opened).error().wrap(line_context()));
  file = std::move(*opened);
  file_left = size;
  file_sha.reset();
  if (file_digest) file_sha.emplace();
  return {};
}

Result<std::string> TarSplitReader::State::member_name(const Json& record) {
  auto raw = record.find("name_raw");
  if (raw != record.end() && !raw->is_null()) {
    if (!raw->is_string()) return bad_line("\"name_raw\" is not a string");
    auto decoded = base64_decode(raw->get_ref<const std::string&>());
    if (!decoded) return bad_line("\"name_raw\" is not base64");
    return std::move(*decoded);
  }
  auto plain = record.find("name");
  if (plain == record.end() || !plain->is_string()) return bad_line("file without a \"name\"");
  return plain->get<std::string>();
}

Result<std::optional<Digest>> TarSplitReader::State::recorded_digest(const Json& record) {
  auto field = record.find("digest");
  if (field == record.end()) return std::optional<Digest>();
  if (!field->is_string()) return bad_line("\"digest\" is not a string");
  auto digest = Digest::parse(field->get_ref<const std::string&>());
  if (!digest) return bad_line("\"digest\": " + digest.error().message());
  return std::optional<Digest>(std::move(*digest));
}

Result<size_t> TarSplitReader::State::read_file(std::span<std::byte> buf) {
  size_t want = static_cast<size_t>(std::min<std::uint64_t>(buf.size(), file_left));
  auto n = file->read(buf.first(want));
  if (!n) return fail(std::move(n).error().wrap(line_context()));
  if (*n == 0) {
    return fail(Errc::bad_input, line_context() + ": " + ref.name + ": ended after " +
                                     std::to_string(ref.size - file_left) + " of " +
                                     std::to_string(ref.size) + " bytes");
  }
  if (file_sha) file_sha->update(buf.first(*n));
  file_left -= *n;
  if (file_left == 0) {
    file.reset();
    TRY(check_file_digest());
  }
  return *n;
}

Result<void> TarSplitReader::State::check_file_digest() {
  if (!file_sha) return {};
  Digest got = Digest::from_sum(file_sha->finish());
  file_sha.reset();
  if (got == *file_digest) return {};
  Error err = contents->mismatch(
      ref, "content sha256 " + got.str() + ", the record says " + file_digest->str());
  return fail(std::move(err).wrap(line_context()));
}

TarSplitReader::TarSplitReader(std::unique_ptr<Reader> records, UniqueFd layer_dir,
                               std::string name)
    : TarSplitReader(std::move(records), std::make_unique<LayerDirContents>(std::move(layer_dir)),
                     std::move(name)) {}

TarSplitReader::TarSplitReader(std::unique_ptr<Reader> records,
                               std::unique_ptr<LayerContents> contents, std::string name)
    : m_state(std::make_unique<State>(std::move(records), std::move(contents), std::move(name))) {}

TarSplitReader::~TarSplitReader() = default;

Result<size_t> TarSplitReader::read(std::span<std::byte> buf) {
  State& s = *m_state;
  size_t filled = 0;
  while (filled < buf.size()) {
    std::span<std::byte> rest = buf.subspan(filled);
    if (s.segment_pos < s.segment.size()) {
      size_t n = std::min(rest.size(), s.segment.size() - s.segment_pos);
      std::memcpy(rest.data(), s.segment.data() + s.segment_pos, n);
      s.segment_pos += n;
      filled += n;
    } else if (s.file_left > 0) {
      ASSIGN_OR_RETURN(size_t n, s.read_file(rest));
      filled += n;
    } else if (s.done) {
      break;
    } else {
      TRY(s.next_record());
    }
  }
  return filled;
}

}  // namespace cairn
