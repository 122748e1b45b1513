// Reads the entries of an uncompressed tar stream (ustar, GNU, pax, v7) with
// libarchive, only to decode headers and content: nothing is extracted and no
// compression filter is enabled.
//
// What is accepted:
//  - GNU long names/links (././@LongLink), pax path/linkpath/size/uid/gid/
//    mtime records (pax wins over the ustar fields), base-256 numbers;
//  - sparse files in old GNU, pax 0.x and pax 1.0 forms: TarEntry::size is the
//    logical size and EntryData yields the data blocks at their offsets;
//  - xattrs from SCHILY.xattr.* and LIBARCHIVE.xattr.* records; a name that
//    occurs twice (libarchive's writer stores both forms) keeps its first
//    position and its last value;
//  - a stream that ends right after an entry (without the two zero
//    end-of-archive blocks, as umoci writes), and an empty stream.
// A stream that ends inside a header or inside an entry's content is
// Errc::bad_input "truncated tar: …". Other malformed input is
// Errc::bad_input "tar: …", and so is a header libarchive read only in part
// (it warns and goes on: a pax record with a wrong length, without '=' or a
// newline, or with a NUL in its key, which it skips), but for charset
// conversion warnings, which lose nothing. An empty pax value deletes the
// keyword (POSIX: the ustar field counts again). Sockets are
// Errc::unsupported.
//
// Paths and link targets are the raw bytes of the archive. libarchive
// converts pax (UTF-8) names to the current locale; in the "C" locale, which
// the library never changes, that conversion keeps the bytes as they are.
//
// Hardlink entries never have content, whatever their size field says (some
// writers store the file's data again); their size is reported as 0 and the
// data is skipped. Only regular files have content and a non-zero size.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "layer/layer_sink.h"
#include "layer/tar_entry.h"
#include "util/error.h"
#include "util/reader.h"

namespace cairn {

class TarReader {
 public:
  // Reads from `source`, which must outlive the TarReader. When `source`
  // fails, its error is what next() or EntryData report.
  static Result<std::unique_ptr<TarReader>> open(Reader& source);
  ~TarReader();
  TarReader(const TarReader&) = delete;
  TarReader& operator=(const TarReader&) = delete;

  // The next entry, or nullopt at the end of the archive. Skips whatever
  // content of the previous entry was not read. After an error, the reader
  // is unusable.
  Result<std::optional<TarEntry>> next();
  // The content of the entry last returned by next(); empty for anything
  // but a regular file. Valid until the next call to next().
  EntryData& data();

  struct Impl;
  class Key {
    friend class TarReader;
    Key() = default;
  };
  // For open() only.
  TarReader(Key, std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> m_impl;
};

// Calls sink.add() for every entry of the tar in `source`, in order, and
// stops at the first error (the sink's error is returned as is). An entry
// beyond the limits of layer/entry_limits.h is an error before it reaches
// the sink, whatever the backend. Does not call sink.finish(). Returns the
// number of entries.
Result<std::uint64_t> read_tar_into(Reader& source, LayerSink& sink);

}  // namespace cairn
