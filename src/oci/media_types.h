// Media types of OCI and Docker (schema 2) images, and what a layer media
// type says about the compression of its blob.
#pragma once

#include <string_view>

#include "oci/compression.h"
#include "util/error.h"

namespace cairn::media_type {

inline constexpr std::string_view k_oci_manifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view k_oci_index = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view k_oci_config = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view k_oci_layer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view k_oci_layer_gzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view k_oci_layer_zstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view k_oci_layer_nondist =
    "application/vnd.oci.image.layer.nondistributable.v1.tar";
inline constexpr std::string_view k_oci_layer_nondist_gzip =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
inline constexpr std::string_view k_oci_layer_nondist_zstd =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";

inline constexpr std::string_view k_docker_manifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view k_docker_manifest_list =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view k_docker_schema1 =
    "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view k_docker_schema1_signed =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";
inline constexpr std::string_view k_docker_config =
    "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view k_docker_layer = "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr std::string_view k_docker_layer_gzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view k_docker_layer_zstd =
    "application/vnd.docker.image.rootfs.diff.tar.zstd";
inline constexpr std::string_view k_docker_layer_foreign_gzip =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

bool is_image_manifest(std::string_view type);  // OCI or Docker schema 2 manifest
bool is_index(std::string_view type);           // OCI index or Docker manifest list
bool is_schema1(std::string_view type);
bool is_image_config(std::string_view type);

// The compression of a layer blob of this media type; Errc::unsupported for
// a media type that is not a known image layer.
Result<Compression> layer_compression(std::string_view type);

}  // namespace cairn::media_type
