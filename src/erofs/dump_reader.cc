#include "erofs/dump_reader.h"

#include <array>
#include <charconv>
#include <optional>
#include <vector>

namespace cairn::erofs {
namespace {

constexpr size_t k_max_inline_content = 5000;
constexpr size_t k_max_payload = 4095;
constexpr size_t k_max_xattr_name = 255;
constexpr size_t k_max_xattr_value = 65535;

enum Field {
  f_path,
  f_size,
  f_mode,
  f_nlink,
  f_uid,
  f_gid,
  f_rdev,
  f_mtime,
  f_payload,
  f_content,
  f_digest,
  k_fixed_fields
};

struct PendingLink {
  std::string path;
  std::string target;
  size_t line;
};

struct DumpState {
  DumpParse mode;
  std::optional<Tree> tree;
  std::vector<PendingLink> links;
};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Splits off the text up to the next `sep`; the rest follows the separator.
// `found` tells whether there was a separator.
std::string_view split_at(std::string_view& rest, char sep, bool* found = nullptr) {
  size_t pos = rest.find(sep);
  std::string_view head = rest.substr(0, pos);
  rest = pos == std::string_view::npos ? std::string_view{} : rest.substr(pos + 1);
  if (found) *found = pos != std::string_view::npos;
  return head;
}

Result<std::uint64_t> parse_uint(std::string_view text, int base, const char* what) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return fail(Errc::bad_input, std::string("invalid ") + what + " " + std::string(text));
  }
  return value;
}

Result<std::uint32_t> parse_u32(std::string_view text, const char* what) {
  ASSIGN_OR_RETURN(std::uint64_t value, parse_uint(text, 10, what));
  if (value > UINT32_MAX) {
    return fail(Errc::bad_input, std::string(what) + " out of range: " + std::string(text));
  }
  return static_cast<std::uint32_t>(value);
}

Result<std::optional<std::string>> unescape_optional(std::string_view field) {
  if (field == "-") return std::optional<std::string>{};
  ASSIGN_OR_RETURN(std::string value, unescape_dump_field(field));
  return std::optional<std::string>(std::move(value));
}

Result<void> parse_mtime(std::string_view text, Inode& inode) {
  std::string_view rest = text;
  std::string_view sec = split_at(rest, '.');
  ASSIGN_OR_RETURN(std::uint64_t seconds, parse_uint(sec, 10, "mtime"));
  ASSIGN_OR_RETURN(std::uint64_t nanos, parse_uint(rest, 10, "mtime"));
  if (seconds > INT64_MAX || nanos >= 1000000000) {
    return fail(Errc::bad_input, "mtime out of range: " + std::string(text));
  }
  inode.mtime_sec = static_cast<std::int64_t>(seconds);
  inode.mtime_nsec = static_cast<std::uint32_t>(nanos);
  return {};
}

Result<void> parse_xattr(std::string_view token, Inode& inode) {
  size_t eq = token.find('=');
  if (eq == std::string_view::npos) return fail(Errc::bad_input, "missing = in xattr");
  ASSIGN_OR_RETURN(std::string key, unescape_dump_field(token.substr(0, eq)));
  ASSIGN_OR_RETURN(std::string value, unescape_dump_field(token.substr(eq + 1)));
  if (key.empty() || key.size() > k_max_xattr_name || key.find('\0') != std::string::npos) {
    return fail(Errc::bad_input, "invalid xattr name");
  }
  if (value.size() > k_max_xattr_value) return fail(Errc::bad_input, "xattr value too long");
  inode.xattrs.insert_or_assign(std::move(key), std::move(value));
  return {};
}

Result<std::uint32_t> parse_mode(std::string_view text) {
  ASSIGN_OR_RETURN(std::uint64_t mode, parse_uint(text, 8, "mode"));
  if (mode > 0177777 || !file_type_of_mode(static_cast<std::uint32_t>(mode))) {
    return fail(Errc::bad_input, "invalid mode " + std::string(text));
  }
  return static_cast<std::uint32_t>(mode);
}

// Fills the file-type specific parts: payload, content, digest, rdev.
Result<void> parse_payloads(const std::array<std::string_view, k_fixed_fields>& f, DumpParse mode,
                            std::uint64_t dump_size, Inode& inode) {
  ASSIGN_OR_RETURN(auto payload, unescape_optional(f[f_payload]));
  ASSIGN_OR_RETURN(auto content, unescape_optional(f[f_content]));
  ASSIGN_OR_RETURN(auto digest, unescape_optional(f[f_digest]));
  bool strict = mode == DumpParse::strict;
  if (content && content->size() != dump_size) {
    return fail(Errc::bad_input, "content size " + std::to_string(content->size()) +
                                     " does not match size " + std::to_string(dump_size));
  }
  if (payload && payload->size() > k_max_payload) return fail(Errc::bad_input, "payload too long");
  FileType type = inode.type();
  if (type == FileType::symlink) {
    if (!payload || payload->empty()) return fail(Errc::bad_input, "symlink without target");
    if (strict && payload->size() != dump_size) {
      return fail(Errc::bad_input, "symlink size does not match its target length");
    }
    if (strict && content && !content->empty()) {
      return fail(Errc::bad_input, "symlink cannot have content");
    }
    inode.size = payload->size();
  } else {
    inode.size = dump_size;
    if (content && content->size() > k_max_inline_content) {
      return fail(Errc::bad_input, "inline content of " + std::to_string(content->size()) +
                                       " bytes exceeds the maximum of 5000");
    }
    if (type == FileType::regular && content && !content->empty()) inode.content = content;
  }
  if (payload) inode.payload = std::move(*payload);
  if (digest && !digest->empty()) {
    ASSIGN_OR_RETURN(inode.verity_digest, parse_verity_hex(*digest));
  }
  return {};
}

Result<Inode> parse_inode(const std::array<std::string_view, k_fixed_fields>& f, std::uint32_t mode,
                          DumpParse parse) {
  Inode inode;
  inode.mode = mode;
  ASSIGN_OR_RETURN(std::uint64_t size, parse_uint(f[f_size], 10, "size"));
  ASSIGN_OR_RETURN(inode.nlink, parse_u32(f[f_nlink], "nlink"));
  ASSIGN_OR_RETURN(inode.uid, parse_u32(f[f_uid], "uid"));
  ASSIGN_OR_RETURN(inode.gid, parse_u32(f[f_gid], "gid"));
  ASSIGN_OR_RETURN(std::uint64_t rdev, parse_uint(f[f_rdev], 10, "rdev"));
  FileType type = inode.type();
  if (type == FileType::char_device || type == FileType::block_device) inode.rdev = rdev;
  if (parse == DumpParse::strict && rdev != 0 && inode.rdev == 0) {
    return fail(Errc::bad_input, "non-zero device number on a non-device");
  }
  TRY(parse_mtime(f[f_mtime], inode));
  TRY(parse_payloads(f, parse, size, inode));
  return inode;
}

Result<void> add_entry(DumpState& state, const std::string& path, Inode inode) {
  if (path == "/") {
    if (state.tree) return fail(Errc::bad_input, "more than one root");
    if (inode.type() != FileType::directory) {
      return fail(Errc::bad_input, "the root must be a directory");
    }
    state.tree.emplace(std::move(inode));
    return {};
  }
  if (!state.tree) return fail(Errc::bad_input, "the root must come first");
  TRY(state.tree->add(path, std::move(inode)));
  return {};
}

Result<void> parse_link(DumpState& state, const std::array<std::string_view, k_fixed_fields>& f,
                        std::string& path, size_t number) {
  ASSIGN_OR_RETURN(auto target, unescape_optional(f[f_payload]));
  if (!target || target->empty()) return fail(Errc::bad_input, "hard link without target");
  if (path == *target) return fail(Errc::bad_input, "hard link to itself: " + path);
  ASSIGN_OR_RETURN(std::uint32_t mode, parse_mode(f[f_mode].substr(1)));
  if ((mode & S_IFMT) == S_IFDIR) return fail(Errc::bad_input, "directories can't be hard linked");
  TRY(split_tree_path(path));
  state.links.push_back(PendingLink{std::move(path), std::move(*target), number});
  return {};
}

Result<void> parse_line(DumpState& state, std::string_view line, size_t number) {
  if (line.find('\0') != std::string_view::npos) {
    return fail(Errc::bad_input, "embedded NUL byte");
  }
  std::array<std::string_view, k_fixed_fields> f;
  std::string_view rest = line;
  bool more = true;
  for (size_t i = 0; i < k_fixed_fields; ++i) {
    // Like mkcomposefs, lenient parsing reads missing trailing fields as
    // empty; the numeric ones then fail, the optional ones are "".
    if (!more && (i <= f_mtime || state.mode == DumpParse::strict)) {
      return fail(Errc::bad_input, "expected 11 fields");
    }
    f[i] = split_at(rest, ' ', &more);
  }
  ASSIGN_OR_RETURN(std::string path, unescape_dump_field(f[f_path]));
  if (path.empty()) return fail(Errc::bad_input, "empty path");
  if (!f[f_mode].empty() && f[f_mode].front() == '@') return parse_link(state, f, path, number);
  ASSIGN_OR_RETURN(std::uint32_t mode, parse_mode(f[f_mode]));
  ASSIGN_OR_RETURN(Inode inode, parse_inode(f, mode, state.mode));
  while (!rest.empty()) TRY(parse_xattr(split_at(rest, ' '), inode));
  return add_entry(state, path, std::move(inode));
}

std::string line_context(size_t number) {
  return "dump line " + std::to_string(number);
}

// Adds the hard links; a link may name another link, so resolve in rounds.
Result<void> resolve_links(DumpState& state) {
  std::vector<PendingLink> pending = std::move(state.links);
  while (!pending.empty()) {
    std::vector<PendingLink> retry;
    for (PendingLink& link : pending) {
      if (!state.tree->lookup(link.target)) {
        retry.push_back(std::move(link));
        continue;
      }
      auto added = state.tree->add_hardlink(link.path, link.target);
      if (!added) return fail(std::move(added).error().wrap(line_context(link.line)));
    }
    if (retry.size() == pending.size()) {
      const PendingLink& link = retry.front();
      return fail(Errc::bad_input,
                  line_context(link.line) + ": no target at " + link.target + " for hard link");
    }
    pending = std::move(retry);
  }
  return {};
}

}  // namespace

Result<std::string> unescape_dump_field(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    char c = field[i];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i >= field.size()) return fail(Errc::bad_input, "no character after escape");
    switch (field[i]) {
      case '\\': out.push_back('\\'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'x': {
        int hi = i + 1 < field.size() ? hex_digit(field[i + 1]) : -1;
        int lo = i + 2 < field.size() ? hex_digit(field[i + 2]) : -1;
        if (hi < 0 || lo < 0) return fail(Errc::bad_input, "invalid hex escape");
        out.push_back(static_cast<char>(hi << 4 | lo));
        i += 2;
        break;
      }
      default: return fail(Errc::bad_input, std::string("unsupported escape \\") + field[i]);
    }
  }
  return out;
}

Result<Tree> parse_dump(std::string_view text, DumpParse mode) {
  DumpState state{mode, std::nullopt, {}};
  size_t number = 0;
  while (!text.empty()) {
    ++number;
    size_t end = text.find('\n');
    if (end == std::string_view::npos && mode == DumpParse::strict) {
      return fail(Errc::bad_input, line_context(number) + ": missing trailing newline");
    }
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    auto parsed = parse_line(state, line, number);
    if (!parsed) return fail(std::move(parsed).error().wrap(line_context(number)));
  }
  if (!state.tree) return fail(Errc::bad_input, "dump has no entries");
  TRY(resolve_links(state));
  return std::move(*state.tree);
}

Result<Tree> read_dump(Reader& reader, DumpParse mode, size_t max_size) {
  ASSIGN_OR_RETURN(std::string text, read_all(reader, max_size));
  return parse_dump(text, mode);
}

}  // namespace cairn::erofs
