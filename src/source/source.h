// Image sources. A URI names where an image comes from:
//   oci:DIR[:TAG]                 an OCI image layout directory
//   oci-archive:FILE[:TAG]        a tar of an OCI image layout
//   docker-archive:FILE[:REPO:TAG]  `docker save` output (legacy manifest.json
//                                 form, or the OCI-layout form of Docker 25+)
//   docker://[HOST[:PORT]/]REPO[:TAG|@DIGEST]  a registry (source/registry_source.h)
// plan_image() reads the index/manifest/config, validates every digest,
// resolves manifest lists to one platform and returns an ImagePlan whose
// layer streams are opened lazily. Archives are read in place (an index of
// member offsets, then pread ranges): never copied or extracted to disk.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "oci/image_plan.h"
#include "source/registry_options.h"
#include "util/error.h"

namespace cairn {

struct SourceOptions {
  // "os/arch[/variant]"; the host platform when empty.
  std::optional<std::string> platform;
  // For docker:// sources.
  RegistryOptions registry;
};

// Errors: Errc::usage for an unknown scheme or malformed URI,
// Errc::not_found for a missing file/tag, Errc::bad_input for malformed
// content, Errc::unsupported for a valid but unsupported manifest.
Result<ImagePlan> plan_image(std::string_view uri, const SourceOptions& options);

}  // namespace cairn
