// Reader for composefs dump files (the text format of `composefs-info dump`
// and `mkcomposefs --from-file`).
//
// One line per entry, '\n'-terminated, fields separated by single spaces:
//
//   PATH SIZE MODE NLINK UID GID RDEV MTIME PAYLOAD CONTENT DIGEST [KEY=VALUE]...
//
// The first line is the root "/", a directory; every other entry's parent
// must appear on an earlier line. MODE is octal st_mode; a leading '@' makes
// the line a hard link to the path in PAYLOAD (resolved once the whole file is
// read; only PATH, MODE and PAYLOAD are used, and MODE may not be a
// directory). MTIME is "SECONDS.NANOSECONDS". PAYLOAD is a symlink target or a
// backing object path; CONTENT inline file bytes (length SIZE, at most 5000);
// DIGEST the backing object's hex fs-verity digest. An absent optional field
// is "-". Every field is unescaped: \\ \n \r \t and \xHH; any other escape
// is an error. The first unescaped '=' of an xattr splits key from value;
// later duplicates of a key replace earlier ones.
//
// What is accepted is what mkcomposefs 1.0.8 accepts (erofs/dump_field.h):
// numbers as strtoull reads them (leading white space, a sign: "-5.0" is an
// mtime before 1970; past 64 bits UINT64_MAX), of which the image keeps what
// mkcomposefs's inode holds (32 bits of NLINK, UID, GID and RDEV, 16 of MODE
// once its low 32 bits name a file type); PATH, PAYLOAD, DIGEST and xattr
// names end at a NUL; PATH may be relative and have runs of '/' but no empty
// last component; a hard link target skips empty components; xattr names
// are 1-255 bytes, values at most 65535, an entry's xattrs within 32767 bytes
// of mkcomposefs's accounting and 65535 bytes of text.
//
// Strict mode (mkcomposefs with CFS_PARSE_STRICT) additionally demands a final
// newline, symlink SIZE equal to the target length, no symlink CONTENT and
// RDEV 0 on non-devices. Lenient mode accepts those and ignores the values.
//
// Where mkcomposefs's result is not defined, cairn refuses (Errc::bad_input):
// a DIGEST that does not start with 64 hex digits (mkcomposefs keeps
// uninitialized bytes), a hard link to a directory or with an empty target
// (the root). mkcomposefs reads an unreadable GID or RDEV as 0 when UID is
// not 0 (it tests the wrong field's error); lenient mode does the same,
// strict mode refuses it, as it refuses missing trailing fields (mkcomposefs
// strict would read them as empty, DIGEST included).
//
// Errors are Errc::bad_input, "dump line N: …". Directory SIZE and NLINK are
// ignored (the writer computes them); for symlinks SIZE is the target length.
#pragma once

#include <string_view>

#include "erofs/tree.h"
#include "util/error.h"
#include "util/reader.h"

namespace cairn::erofs {

enum class DumpParse { strict, lenient };

// Parses a whole dump held in memory.
Result<Tree> parse_dump(std::string_view text, DumpParse mode);
// Reads the stream to its end (at most `max_size` bytes) and parses it.
Result<Tree> read_dump(Reader& reader, DumpParse mode, size_t max_size = size_t{1} << 32);

}  // namespace cairn::erofs
