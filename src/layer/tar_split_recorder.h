// The tar-split recorder: watches the bytes of a layer's uncompressed tar go
// by and writes a record from which exactly those bytes can be put together
// again (source/tar_split.h reads it), keeping only the tar's own bytes and,
// for each regular file, a reference to its content.
//
// Record format: docker's tar-split lines (source/tar_split.h), one JSON
// object per line in stream order:
//   {"type":2,"payload":"<base64>","position":N}
//       raw bytes: headers, pax / GNU extension headers and their data,
//       padding, end-of-archive blocks, whatever follows them, and the data
//       of every member that is not a plain regular file (hardlinks with
//       data, sparse files, unknown types).
//   {"type":1,"name":"<member name>","size":S,"digest":"sha256:<hex>","position":N}
//       S content bytes of a regular file, with their sha256 (added to
//       docker's format; docker's crc64 "payload" is not written). "name_raw"
//       (base64) replaces "name" when the name is not UTF-8; "size" and
//       "digest" are left out when S is 0.
// N counts the lines from 0. Consecutive raw bytes go into one segment line
// (split at k_max_segment bytes).
//
// A type-1 line is written for exactly the members the tar reader (libarchive)
// delivers as regular files, in order: types '0', '\0', '7' and GNU sparse
// 'S', unless the name is a whiteout or opaque marker (the backends turn those
// into removals) or ends in '/' (a directory). Their occurrences number the
// references of a path (layer/layer_contents.h). Content that is not stored
// as it streams by (sparse data) is raw bytes after a size-0 type-1 line.
//
// The recorder parses the header chain itself (util/tar_header.h): it never
// relies on the tar reader's parse. Anything it does not understand (a bad
// checksum, an extension too large, a zero block) ends the parse: the rest of
// the stream is raw bytes. So the record is always exact; what it may miss is
// only a reference it could have made. A pax header it cannot apply fails
// consume() with Errc::bad_input, and so the import: the tar reader refuses
// malformed records too, but what libarchive reads wrongly without a warning
// (a NUL in a path, a negative time with a fraction) only this parse sees.
//
// Not thread-safe; consume() is called on the ingest's decoding thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "util/error.h"
#include "util/sha256.h"
#include "util/tar_header.h"
#include "util/writer.h"

namespace cairn {

class TarSplitRecorder {
 public:
  static constexpr size_t k_max_segment = 1 << 20;

  // Writes the record lines to OUT (not finished here), which must outlive this.
  explicit TarSplitRecorder(Writer& out) : m_out(out) {}

  // The next bytes of the tar stream.
  Result<void> consume(std::span<const std::byte> bytes);
  // The end of the stream: writes what is pending. Errc::bad_input if the
  // stream ended inside a referenced file's content (the tar is truncated).
  Result<void> finish();

  std::uint64_t references() const { return m_references; }

 private:
  enum class State { header, extension, content, raw, sparse_map, rest };

  size_t take_header(std::span<const std::byte> bytes);
  size_t take_extension(std::span<const std::byte> bytes);
  size_t take_raw(std::span<const std::byte> bytes);
  size_t take_content(std::span<const std::byte> bytes);
  size_t take_sparse_map(std::span<const std::byte> bytes);
  Result<void> on_header();
  Result<void> on_member(char type, std::uint64_t header_size);
  Result<void> start_reference(std::string name, std::uint64_t size);
  Result<void> end_reference();
  void raw_data(std::uint64_t size);
  Result<void> flush_segment();
  Result<void> write_line(std::string& line);

  Writer& m_out;
  State m_state = State::header;
  tar_header::Block m_block{};
  size_t m_block_fill = 0;
  std::string m_segment;
  std::string m_line;
  std::uint64_t m_position = 0;
  std::uint64_t m_references = 0;

  tar_header::Pending m_pending;
  bool m_pax_seen = false;
  bool m_pax_sparse = false;
  char m_extension_type = 0;
  std::string m_extension;

  std::uint64_t m_remaining = 0;  // of the current data (raw, extension or content)
  std::uint64_t m_padding = 0;    // raw bytes after it
  Sha256 m_sha;
  std::string m_name;
  std::uint64_t m_size = 0;
};

}  // namespace cairn
