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
#include <optional>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "layer/safe_root.h"
#include "source/registry_auth.h"
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
    ASSIGN_OR_RETURN(size_t n, m_in->read(std::as_writable_bytes(
                                   std::span(m_buf).subspan(m_end))));
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

}  // namespace

struct TarSplitReader::State {
  State(std::unique_ptr<Reader> records, UniqueFd dir, std::string reader_name)
      : lines(std::move(records)), layer_dir(std::move(dir)), name(std::move(reader_name)) {}

  // Loads the next segment or file, or sets `done`.
  Result<void> next_record();
  Result<void> parse_line(std::string_view line);
  Result<void> load_segment(const Json& record);
  Result<void> load_file(const Json& record);
  Result<std::string> member_name(const Json& record);
  Result<void> open_file(std::string rel, std::uint64_t size);
  Result<size_t> read_file(std::span<std::byte> buf);

  std::string line_context() const { return name + ": tar-split line " + std::to_string(line_no); }
  std::unexpected<Error> bad_line(const std::string& why) const {
    return fail(Errc::bad_input, line_context() + ": " + why);
  }
  std::unexpected<Error> bad_file(const std::string& why) const {
    return fail(Errc::bad_input, line_context() + ": " + path + ": " + why +
                                     " (the layer directory changed since it was unpacked)");
  }

  LineSplitter lines;
  UniqueFd layer_dir;
  std::string name;
  std::uint64_t line_no = 0;
  bool done = false;

  std::string segment;
  size_t segment_pos = 0;

  UniqueFd file;
  std::string path;
  std::uint64_t file_size = 0;
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
  if (size == 0) return {};
  ASSIGN_OR_RETURN(std::string member, member_name(record));
  // Cleaned lexically, as docker's unpacker placed it ("a/./b/../c" is "a/c").
  std::optional<std::string> rel = clean_relative_path(member);
  if (!rel) return bad_line("file name climbs out of the layer directory: \"" + member + "\"");
  if (rel->empty()) return bad_line("an empty file name: \"" + member + "\"");
  return open_file(std::move(*rel), size);
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

Result<void> TarSplitReader::State::open_file(std::string rel, std::uint64_t size) {
  path = std::move(rel);
  auto fd = openat2_fd(layer_dir.get(), path, k_open_flags, k_resolve);
  if (!fd) {
    std::string why = open_failure(fd.error());
    if (!why.empty()) return bad_file(why);
    return fail(std::move(fd).error().wrap(line_context()));
  }
  auto st = sys::fstat(fd->get(), path);
  if (!st) return fail(std::move(st).error().wrap(line_context()));
  if (!S_ISREG(st->st_mode)) return bad_file("is not a regular file");
  if (static_cast<std::uint64_t>(st->st_size) != size) {
    return bad_file("has " + std::to_string(st->st_size) + " bytes, the record says " +
                    std::to_string(size));
  }
  file = std::move(*fd);
  file_size = size;
  file_left = size;
  return {};
}

Result<size_t> TarSplitReader::State::read_file(std::span<std::byte> buf) {
  size_t want = static_cast<size_t>(std::min<std::uint64_t>(buf.size(), file_left));
  auto n = sys::read_some(file.get(), buf.first(want), path);
  if (!n) return fail(std::move(n).error().wrap(line_context()));
  if (*n == 0) {
    return bad_file("ended after " + std::to_string(file_size - file_left) + " of " +
                    std::to_string(file_size) + " bytes");
  }
  file_left -= *n;
  if (file_left == 0) file.reset();
  return *n;
}

TarSplitReader::TarSplitReader(std::unique_ptr<Reader> records, UniqueFd layer_dir,
                               std::string name)
    : m_state(std::make_unique<State>(std::move(records), std::move(layer_dir),
                                      std::move(name))) {}

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
