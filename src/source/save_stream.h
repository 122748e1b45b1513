// A sequential walk over the members of a tar stream that cannot seek: the
// output of `docker save` / `podman save` read from a pipe as it arrives.
//
// Headers are decoded as in source/tar_index.h (ustar with prefix, pax
// path/linkpath/size, GNU 'L'/'K' long names; 'g' skipped; format notes in
// util/tar_header.h). Names are normalized the same way. The walker
// holds one member open at a time: next() skips whatever of the previous
// member's data was not read, and data() reads the current member's bytes
// straight from the stream (nothing is buffered beyond one header block).
//
// A stream that ends at a header boundary is accepted (with or without the
// zero end-of-archive blocks); a stream that ends inside a header or inside
// a member's data is Errc::bad_input "...: truncated stream". A bad header
// checksum or size is Errc::bad_input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "util/error.h"
#include "util/reader.h"
#include "util/tar_header.h"

namespace cairn {

struct StreamMember {
  std::string name;  // normalized (source/tar_index.h normalize_archive_path)
  tar_header::Kind kind = tar_header::Kind::other;
  std::string link;        // symlink target / hardlink source, as written
  std::uint64_t size = 0;  // data size; 0 for header-only types
};

class SaveStreamWalker {
 public:
  // Reads from `stream`, which must outlive the walker; `name` names the
  // stream in errors.
  SaveStreamWalker(Reader& stream, std::string name);

  // The next member, or nullopt at the end of the archive.
  Result<std::optional<StreamMember>> next();
  // The data of the member last returned by next(): yields exactly its
  // size in bytes, then 0. Valid until the next call to next().
  Reader& data() { return m_data; }

 private:
  class MemberData final : public Reader {
   public:
    explicit MemberData(SaveStreamWalker& walker) : m_walker(walker) {}
    Result<size_t> read(std::span<std::byte> buf) override;
    std::uint64_t remaining = 0;

   private:
    SaveStreamWalker& m_walker;
  };

  Result<size_t> read_exact(std::span<std::byte> buf, std::string_view what);
  Result<void> skip(std::uint64_t bytes);
  Result<std::optional<tar_header::Block>> read_header();

  Reader& m_stream;
  std::string m_name;
  std::uint64_t m_offset = 0;   // bytes consumed from the stream
  std::uint64_t m_padding = 0;  // to skip after the current member's data
  MemberData m_data;
  tar_header::Pending m_pending;
  bool m_done = false;
};

}  // namespace cairn
