// Decompressing Readers for layer blobs: gzip (zlib), zstd (libzstd) and
// passthrough.
//
// The returned Reader yields the decompressed bytes of the whole stream and
// then 0. It reads its input in 128 KiB chunks and holds no more than that
// plus the codec's own window, whatever the stream size.
//
// gzip: any number of concatenated members (RFC 1952 §2.2) are decoded as one
// stream. After the last member, only NUL bytes may follow (tools that pad to
// a block size write them); any other trailing byte is Errc::bad_input
// ("gzip: trailing data after the last member …"), because accepting it
// silently would let two different blobs decode to the same layer unnoticed.
// zstd: any number of frames, skippable frames included; nothing may follow
// the last frame.
//
// Errors: corrupt or truncated data is Errc::bad_input with a message
// starting "gzip: " or "zstd: " ("gzip: unexpected end of stream"); an empty
// gzip or zstd stream is truncated too. Errors of the input Reader pass
// through unchanged.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "oci/compression.h"
#include "util/error.h"
#include "util/reader.h"

namespace cairn {

// The decompressor owns `input`.
Result<std::unique_ptr<Reader>> make_decompressor(std::unique_ptr<Reader> input,
                                                  Compression compression);
// The decompressor reads from `input`, which must outlive it.
Result<std::unique_ptr<Reader>> make_decompressor(Reader& input, Compression compression);

// Enough leading bytes for detect_compression.
inline constexpr size_t k_compression_magic_size = 4;

// The compression whose magic number starts `head` (gzip 1f 8b, zstd frame or
// skippable frame); none for anything else, including a short `head`.
Compression detect_compression(std::span<const std::byte> head);

// For streams whose media type does not say (docker-archive "layer.tar"):
// peeks at the first bytes of `input` and decompresses accordingly. xz is
// Errc::unsupported; bzip2 is not detected (its ASCII magic "BZh" could be
// the first file name of a plain tar) and so fails as a malformed tar.
// `input` must outlive the returned Reader.
Result<std::unique_ptr<Reader>> make_detecting_decompressor(Reader& input);

}  // namespace cairn
