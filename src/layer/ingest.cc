#include "layer/ingest.h"

#include <memory>
#include <string>

#include "layer/decompress.h"
#include "layer/hashing_reader.h"
#include "layer/tar_reader.h"

namespace cairn {
namespace {

Result<std::unique_ptr<Reader>> open_decompressor(Reader& blob, Compression compression) {
  if (compression == Compression::none) return make_detecting_decompressor(blob);
  return make_decompressor(blob, compression);
}

Result<void> check_digest(std::string_view what, const Digest& expected, const Digest& actual) {
  if (expected == actual) return {};
  return fail(Errc::digest_mismatch, std::string(what) + " mismatch: expected " + expected.str() +
                                         ", got " + actual.str());
}

Result<IngestStats> ingest(const LayerDescriptor& layer, LayerSink& sink) {
  if (!layer.open) return fail(Errc::usage, "no way to open the blob");
  ASSIGN_OR_RETURN(std::unique_ptr<Reader> raw, layer.open());
  HashingReader blob(*raw);
  ASSIGN_OR_RETURN(std::unique_ptr<Reader> decompressed,
                   open_decompressor(blob, layer.compression));
  HashingReader tar(*decompressed);

  IngestStats stats;
  ASSIGN_OR_RETURN(stats.entries, read_tar_into(tar, sink));
  TRY(sink.finish());
  TRY(drain(tar));
  TRY(drain(blob));
  stats.blob_bytes = blob.bytes();
  stats.tar_bytes = tar.bytes();

  if (layer.size && *layer.size != blob.bytes()) {
    return fail(Errc::digest_mismatch, "blob size mismatch: expected " +
                                           std::to_string(*layer.size) + " bytes, got " +
                                           std::to_string(blob.bytes()));
  }
  TRY(check_digest("blob digest", layer.blob_digest, blob.digest()));
  TRY(check_digest("diff_id", layer.diff_id, tar.digest()));
  return stats;
}

}  // namespace

Result<IngestStats> ingest_layer(const LayerDescriptor& layer, LayerSink& sink) {
  auto stats = ingest(layer, sink);
  if (!stats) return fail(std::move(stats).error().wrap("layer " + layer.blob_digest.str()));
  return stats;
}

}  // namespace cairn
