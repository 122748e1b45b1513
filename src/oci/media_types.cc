#include "oci/media_types.h"

#include <string>

namespace cairn::media_type {

bool is_image_manifest(std::string_view type) {
  return type == k_oci_manifest || type == k_docker_manifest;
}

bool is_index(std::string_view type) {
  return type == k_oci_index || type == k_docker_manifest_list;
}

bool is_schema1(std::string_view type) {
  return type == k_docker_schema1 || type == k_docker_schema1_signed;
}

bool is_image_config(std::string_view type) {
  return type == k_oci_config || type == k_docker_config;
}

Result<Compression> layer_compression(std::string_view type) {
  struct Entry {
    std::string_view type;
    Compression compression;
  };
  static constexpr Entry k_layers[] = {
      {k_oci_layer, Compression::none},
      {k_oci_layer_gzip, Compression::gzip},
      {k_oci_layer_zstd, Compression::zstd},
      {k_oci_layer_nondist, Compression::none},
      {k_oci_layer_nondist_gzip, Compression::gzip},
      {k_oci_layer_nondist_zstd, Compression::zstd},
      {k_docker_layer, Compression::none},
      {k_docker_layer_gzip, Compression::gzip},
      {k_docker_layer_zstd, Compression::zstd},
      {k_docker_layer_foreign_gzip, Compression::gzip},
  };
  for (const Entry& e : k_layers) {
    if (e.type == type) return e.compression;
  }
  return fail(Errc::unsupported,
              "unsupported layer media type \"" + std::string(type.substr(0, 200)) + "\"");
}

}  // namespace cairn::media_type
