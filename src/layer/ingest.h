// Ingest of one layer: the single path by which every source feeds every
// backend.
//
//   blob ─▶ sha256 + size ─▶ decompress ─▶ sha256 (diff_id) ─▶ tar ─▶ sink
//
// Every entry goes to sink.add() in archive order, then sink.finish() is
// called. After that the rest of the decompressed stream (whatever follows
// the tar end-of-archive blocks still counts for the diff_id) and the rest of
// the blob are read, and only then are the digests checked. Memory stays
// bounded (a few 128 KiB buffers, a 4 MiB hand-over pipe and the codec
// window) whatever the layer size.
//
// Reading, hashing and decompressing run on a second thread that hands the
// tar stream to the calling thread, which parses it and feeds the sink: the
// blob Reader (and anything it calls, such as progress reports) is used from
// that thread until the call returns. An uncompressed blob is its own tar,
// so it is hashed once and its diff_id is its blob digest.
#pragma once

#include <cstdint>

#include "layer/layer_sink.h"
#include "layer/tar_split_recorder.h"
#include "oci/image_plan.h"
#include "util/error.h"
#include "util/writer.h"

namespace cairn {

struct IngestStats {
  std::uint64_t blob_bytes = 0;  // compressed bytes, as stored
  std::uint64_t tar_bytes = 0;   // uncompressed bytes (what the diff_id covers)
  std::uint64_t entries = 0;
};

// What else sees the bytes as they flow, on the decoding thread (both
// optional, neither finished here): the tar-split recorder gets every byte
// of the uncompressed tar in order and is finish()ed at its end; blob_copy
// gets every byte of the blob as read. An error of either fails the ingest.
struct IngestTaps {
  TarSplitRecorder* tar_split = nullptr;
  Writer* blob_copy = nullptr;
};

// Opens the blob with layer.open() and streams it into `sink`.
//
// Compression: layer.compression is trusted when it is gzip or zstd; when it
// is none, the first bytes decide (docker-archive layers are sometimes
// gzipped behind a plain-tar name), see make_detecting_decompressor.
//
// Errors (all wrapped in "layer <blob digest>: ", codes kept):
//  - the blob's, the decompressor's or the tar reader's error (Errc::bad_input
//    for corrupt input); sink.finish() is not called if it comes before the
//    tar's end-of-archive, and has been if it comes from the data after it;
//  - the sink's error from add() or finish(); ingest stops at once;
//  - Errc::digest_mismatch when the blob size (if layer.size is set), the
//    blob digest or the diff_id differ: "layer sha256:…: diff_id mismatch:
//    expected sha256:…, got sha256:…". sink.finish() has usually been
//    called by then (a blob that outgrows layer.size fails at once, possibly
//    before). The sink's owner must discard what it staged on any error.
Result<IngestStats> ingest_layer(const LayerDescriptor& layer, LayerSink& sink,
                                 const IngestTaps& taps = {});

// What ingest computed for a layer whose digests are not known beforehand.
struct IngestDigests {
  IngestStats stats;
  Digest blob_digest;
  Digest diff_id;
  Compression compression = Compression::none;
};

// The same pipeline over an already open blob stream with nothing to check
// against (a `docker save` stream names its layers only after them): the
// compression is detected from the first bytes, the stream is read to its
// end and both digests are returned for the caller to verify. Errors as for
// ingest_layer(), without the digest checks.
Result<IngestDigests> ingest_unverified(Reader& blob, LayerSink& sink, const IngestTaps& taps = {});

}  // namespace cairn
