// The manifest `cairn push` sends when it cannot send the stored one (some
// layer was compressed again): pure functions, no I/O.
//
// Family: Docker schema 2 (application/vnd.docker.distribution.manifest.v2+json)
// when every layer of the image was Docker-typed and every blob pushed is
// gzip or the original (Docker schema 2 knows no zstd); OCI otherwise. The
// config descriptor carries the family's config media type (the bytes are
// the image's, unchanged). Layer media types say the blob's compression:
// an original blob keeps its media type when the family is its own.
// A layer's annotations, when it has any, follow its size.
// Keys are written in the conventional order (schemaVersion, mediaType,
// config, layers), compact, so the same image gives the same bytes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "oci/compression.h"
#include "oci/digest.h"

namespace cairn {

enum class ManifestFamily { oci, docker };

struct PushedLayer {
  Digest digest;
  std::uint64_t size = 0;
  std::string original_media_type;                 // as imported
  bool original_blob = false;                      // the blob is the one imported (kept)
  Compression compression = Compression::gzip;     // of the blob pushed
  std::map<std::string, std::string> annotations;  // of its descriptor (zstd:chunked's TOC)
};

// The compression a layer media type names (none for a plain tar).
Compression compression_of_media_type(std::string_view media_type);

ManifestFamily manifest_family(const std::vector<PushedLayer>& layers);

// The layer's media type in a manifest of `family`.
std::string pushed_layer_media_type(const PushedLayer& layer, ManifestFamily family);

std::string_view manifest_media_type(ManifestFamily family);

// The manifest's bytes.
std::string build_push_manifest(ManifestFamily family, const Digest& config_digest,
                                std::uint64_t config_size, const std::vector<PushedLayer>& layers);

// The media type of a stored manifest: its "mediaType", else (OCI allows
// leaving it out) the OCI manifest type. Empty when it is not a JSON object.
std::string stored_manifest_media_type(const std::string& manifest);

}  // namespace cairn
