// OCI / Docker schema 2 documents: image manifests, indexes (manifest lists)
// and image configs, parsed from JSON with every digest validated.
//
// Errors name the document (`what`, e.g. "manifest sha256:ab…"):
// Errc::bad_input for malformed JSON or missing/ill-typed fields,
// Errc::unsupported for Docker schema 1 and for manifests that are not
// container images (artifacts, unknown config or layer media types).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/digest.h"
#include "oci/platform.h"
#include "util/error.h"

namespace cairn {

// Largest manifest, index or config cairn accepts.
inline constexpr size_t k_max_json_document = 4 << 20;

inline constexpr std::string_view k_ref_name_annotation = "org.opencontainers.image.ref.name";

struct Descriptor {
  std::string media_type;
  Digest digest;
  std::uint64_t size = 0;
  std::optional<Platform> platform;  // only in indexes
  std::map<std::string, std::string> annotations;
};

struct ImageManifest {
  std::string media_type;
  Descriptor config;
  std::vector<Descriptor> layers;  // base first; media types are known layer types
};

struct ImageIndex {
  std::string media_type;
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;
};

struct ImageConfig {
  Platform platform;             // as written (not normalized)
  std::vector<Digest> diff_ids;  // rootfs.diff_ids, base first
};

enum class DocumentKind { manifest, index };

// Tells a manifest from an index by mediaType, or by shape when mediaType is
// absent (OCI allows that): "manifests" => index, "config" => manifest.
Result<DocumentKind> document_kind(std::string_view json, std::string_view what);

Result<ImageManifest> parse_manifest(std::string_view json, std::string_view what);
Result<ImageIndex> parse_index(std::string_view json, std::string_view what);
Result<ImageConfig> parse_config(std::string_view json, std::string_view what);

// Fails with Errc::bad_input unless the config has one diff_id per layer.
Result<void> check_layer_count(const ImageManifest& manifest, const ImageConfig& config,
                               std::string_view what);

}  // namespace cairn
