// zstd:chunked blobs written from a layer's tar (`cairn push --compression
// zstd:chunked`), in the older form that containers/storage 1.43 and skopeo
// 1.9 write: no tar-split, `io.containers.zstd-chunked.*` annotations
// (format: source/zstd_chunked_toc.h; names: oci/zstd_chunked_keys.h).
//
//   frames of "between" bytes | frame of file 0 | between | … | between
//   | skippable frame: the TOC, zstd-compressed | skippable frame: footer
//
// Every regular file with content gets a frame of its own; everything else
// (headers, pax and GNU extension data, padding, end-of-archive blocks and
// whatever follows them) goes into the frames between. Decompressed as
// plain zstd (which skips skippable frames) the blob is the input tar, byte
// for byte. The TOC lists every member as containers/storage's writer does
// (type, name, linkName, mode, size, uid, gid, modtime, devMajor, devMinor,
// xattrs with base64 values; for files with content digest, offset and
// endOffset), since podman's partial pull builds the tree from the TOC.
// The footer's payload: TOC offset, compressed length, uncompressed length,
// type 1 (little-endian uint64 each), "GnUlInUx".
//
// When a member cannot be described by a TOC (a sparse file, a type it has
// no name for, a name, link target or xattr name that is not UTF-8) or a
// header is not understood (bad checksum or number) before the
// end-of-archive blocks, the rest of the tar goes into "between" frames and
// neither TOC nor footer is written: annotations() stays empty and the blob
// is an ordinary zstd layer, pulled whole by everyone.
//
// Deterministic like layer/compress.h: zstd level 3, no checksum, no
// content size. Memory: 128 KiB of input at a time, the codec, and the TOC
// (some 200 bytes a member). Errors of the input pass through unchanged.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "util/error.h"
#include "util/reader.h"

namespace cairn {

class ZstdChunkedWriter final : public Reader {
 public:
  explicit ZstdChunkedWriter(std::unique_ptr<Reader> tar);
  ~ZstdChunkedWriter() override;

  Result<size_t> read(std::span<std::byte> buf) override;

  // Once read() has returned 0: the layer descriptor's annotations
  // (manifest-position and manifest-checksum), empty when no TOC was written.
  const std::map<std::string, std::string>& annotations() const;

 private:
  struct State;
  std::unique_ptr<State> m;
};

}  // namespace cairn
