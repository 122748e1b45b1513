#include "erofs/dump_reader.h"

#include <array>
#include <optional>
#include <vector>

#include "erofs/dump_field.h"

namespace cairn::erofs {
namespace {

constexpr size_t k_max_inline_content = 5000;
constexpr size_t k_max_payload = 4095;  // PATH_MAX - 1
constexpr size_t k_max_xattr_name = 255;
constexpr size_t k_max_xattr_value = 65535;
constexpr size_t k_max_xattr_text = 65535;  // of a line, after the fixed fields
constexpr size_t k_verity_hex_size = 64;

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

using Fields = std::array<std::string_view, k_fixed_fields>;

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

// Splits off the text up to the next `sep`; the rest follows the separator.
// `found` tells whether there was a separator.
std::string_view split_at(std::string_view& rest, char sep, bool* found = nullptr) {
  size_t pos = rest.find(sep);
  std::string_view head = rest.substr(0, pos);
  rest = pos == std::string_view::npos ? std::string_view{} : rest.substr(pos + 1);
  if (found) *found = pos != std::string_view::npos;
  return head;
}

Result<std::optional<std::string>> unescape_optional(std::string_view field) {
  if (field == "-") return std::optional<std::string>{};
  ASSIGN_OR_RETURN(std::string value, unescape_dump_field(field));
  return std::optional<std::string>(std::move(value));
}

// A hard link target as mkcomposefs looks it up: empty components, trailing
// ones included, are skipped; nothing left is the root.
std::string target_path(std::string_view target) {
  std::string out;
  bool more = true;
  while (more) {
    std::string_view part = split_at(target, '/', &more);
    if (!part.empty()) out += "/" + std::string(part);
  }
  return out.empty() ? "/" : out;
}

// A PATH as mkcomposefs places it: "/" alone is the root; otherwise looked
// up like a link target, except that the last component may not be empty.
Result<std::string> entry_path(const std::string& path) {
  if (path != "/" && path.ends_with('/')) {
    return fail(Errc::bad_input, "empty name at the end of path " + path);
  }
  return target_path(path);
}

Result<void> parse_mtime(std::string_view text, Inode& inode) {
  std::string_view rest = text;
  std::string_view sec = split_at(rest, '.');
  ASSIGN_OR_RETURN(std::uint64_t seconds, parse_dump_number(sec, 10, "mtime"));
  ASSIGN_OR_RETURN(std::uint64_t nanos, parse_dump_number(rest, 10, "mtime"));
  inode.mtime_sec = static_cast<std::int64_t>(seconds);
  inode.mtime_nsec = static_cast<std::uint32_t>(nanos);
  return {};
}

Result<void> parse_xattr(std::string_view token, Inode& inode, XattrBudget& budget) {
  size_t eq = token.find('=');
  if (eq == std::string_view::npos) return fail(Errc::bad_input, "missing = in xattr");
  ASSIGN_OR_RETURN(std::string key, unescape_dump_field(token.substr(0, eq)));
  ASSIGN_OR_RETURN(std::string value, unescape_dump_field(token.substr(eq + 1)));
  cut_at_nul(key);
  if (key.empty() || key.size() > k_max_xattr_name) {
    return fail(Errc::bad_input, "invalid xattr name");
  }
  if (value.size() > k_max_xattr_value) return fail(Errc::bad_input, "xattr value too long");
  auto old = inode.xattrs.find(key);
  TRY(budget.set(key.size(),
                 old == inode.xattrs.end() ? std::nullopt : std::optional(old->second.size()),
                 value.size()));
  inode.xattrs.insert_or_assign(std::move(key), std::move(value));
  return {};
}

// The mode's low 32 bits must name a file type; the image keeps 16.
Result<std::uint32_t> parse_mode(std::string_view text) {
  ASSIGN_OR_RETURN(std::uint64_t mode, parse_dump_number(text, 8, "mode"));
  auto mode32 = static_cast<std::uint32_t>(mode);
  if (!file_type_of_mode(mode32)) return fail(Errc::bad_input, "invalid mode " + std::string(text));
  return mode32 & 0177777;
}

// mkcomposefs reads DIGEST as a C string and takes its first 64 hex digits,
// ignoring what follows; with fewer, or a non-hex digit among them, it would
// keep uninitialized bytes, which cairn refuses.
Result<VerityDigest> parse_digest(std::string hex) {
  cut_at_nul(hex);
  if (hex.size() > k_verity_hex_size) hex.resize(k_verity_hex_size);
  return parse_verity_hex(hex);
}

// Fills the file-type specific parts: payload, content, digest.
Result<void> parse_payloads(const Fields& f, DumpParse mode, std::uint64_t dump_size,
                            Inode& inode) {
  ASSIGN_OR_RETURN(auto payload, unescape_optional(f[f_payload]));
  ASSIGN_OR_RETURN(auto content, unescape_optional(f[f_content]));
  ASSIGN_OR_RETURN(auto digest, unescape_optional(f[f_digest]));
  if (payload) cut_at_nul(*payload);
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
    ASSIGN_OR_RETURN(inode.verity_digest, parse_digest(*digest));
  }
  return {};
}

Result<Inode> parse_inode(const Fields& f, std::uint32_t mode, DumpParse parse) {
  Inode inode;
  inode.mode = mode;
  ASSIGN_OR_RETURN(std::uint64_t size, parse_dump_number(f[f_size], 10, "size"));
  ASSIGN_OR_RETURN(std::uint64_t nlink, parse_dump_number(f[f_nlink], 10, "nlink"));
  ASSIGN_OR_RETURN(std::uint64_t uid, parse_dump_number(f[f_uid], 10, "uid"));
  // mkcomposefs tests UID's value where it means GID's and RDEV's errors, so
  // with a non-zero UID an unreadable GID or RDEV is 0; lenient mode does the
  // same, strict mode refuses it.
  auto read_after_uid = [&](std::string_view text, const char* what) -> Result<std::uint64_t> {
    auto value = parse_dump_number(text, 10, what);
    if (!value && parse == DumpParse::lenient && uid != 0) return std::uint64_t{0};
    return value;
  };
  ASSIGN_OR_RETURN(std::uint64_t gid, read_after_uid(f[f_gid], "gid"));
  ASSIGN_OR_RETURN(std::uint64_t rdev, read_after_uid(f[f_rdev], "rdev"));
  // The image holds 32 bits of each, as mkcomposefs's inode does.
  inode.nlink = static_cast<std::uint32_t>(nlink);
  inode.uid = static_cast<std::uint32_t>(uid);
  inode.gid = static_cast<std::uint32_t>(gid);
  FileType type = inode.type();
  if (type == FileType::char_device || type == FileType::block_device) {
    inode.rdev = static_cast<std::uint32_t>(rdev);
  } else if (parse == DumpParse::strict && rdev != 0) {
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

Result<void> parse_link(DumpState& state, const Fields& f, std::string path, size_t number) {
  ASSIGN_OR_RETURN(auto target, unescape_optional(f[f_payload]));
  if (target) cut_at_nul(*target);
  if (!target || target->empty()) return fail(Errc::bad_input, "hard link without target");
  std::string resolved = target_path(*target);
  if (path == resolved) return fail(Errc::bad_input, "hard link to itself: " + path);
  ASSIGN_OR_RETURN(std::uint32_t mode, parse_mode(f[f_mode].substr(1)));
  if ((mode & S_IFMT) == S_IFDIR) return fail(Errc::bad_input, "directories can't be hard linked");
  TRY(split_tree_path(path));
  state.links.push_back(PendingLink{std::move(path), std::move(resolved), number});
  return {};
}

Result<void> parse_line(DumpState& state, std::string_view line, size_t number) {
  if (line.find('\0') != std::string_view::npos) {
    return fail(Errc::bad_input, "embedded NUL byte");
  }
  Fields f;
  std::string_view rest = line;
  bool more = true;
  for (size_t i = 0; i < k_fixed_fields; ++i) {
    // mkcomposefs reads missing trailing fields as empty (the numeric ones
    // then fail, the optional ones are ""); strict mode refuses them.
    if (!more && state.mode == DumpParse::strict)
      return fail(Errc::bad_input, "expected 11 fields");
    f[i] = split_at(rest, ' ', &more);
  }
  ASSIGN_OR_RETURN(std::string raw_path, unescape_dump_field(f[f_path]));
  cut_at_nul(raw_path);
  if (raw_path.empty()) return fail(Errc::bad_input, "empty path");
  ASSIGN_OR_RETURN(std::string path, entry_path(raw_path));
  if (!f[f_mode].empty() && f[f_mode].front() == '@') {
    return parse_link(state, f, std::move(path), number);
  }
  ASSIGN_OR_RETURN(std::uint32_t mode, parse_mode(f[f_mode]));
  ASSIGN_OR_RETURN(Inode inode, parse_inode(f, mode, state.mode));
  if (rest.size() > k_max_xattr_text) {
    return fail(Errc::bad_input, "xattrs take more than 65535 bytes of the line");
  }
  XattrBudget budget;
  while (!rest.empty()) TRY(parse_xattr(split_at(rest, ' '), inode, budget));
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
