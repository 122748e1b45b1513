// libFuzzer target: the JSON documents cairn reads from sources (oci/manifest.h:
// manifests, indexes, configs; docker-archive manifest.json) and platform strings.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "oci/manifest.h"
#include "oci/platform.h"
#include "source/docker_manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)cairn::document_kind(text, "fuzz");
  auto manifest = cairn::parse_manifest(text, "fuzz");
  auto config = cairn::parse_config(text, "fuzz");
  if (manifest && config) (void)cairn::check_layer_count(*manifest, *config, "fuzz");
  (void)cairn::parse_index(text, "fuzz");
  (void)cairn::parse_archive_manifest(text, "fuzz");
  (void)cairn::parse_platform(text);
  return 0;
}
