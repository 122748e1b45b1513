// manifest.json of `docker save` archives (docker-archive files and the
// save streams of dockerd:// and podman://): a JSON array of
// {"Config": PATH, "RepoTags": [...], "Layers": [PATH, ...]}, paths relative
// to the archive root, layers base first.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace cairn {

struct ArchiveImage {
  std::string config;
  std::vector<std::string> repo_tags;
  std::vector<std::string> layers;
};

// Errc::bad_input (prefixed with `what`) unless `text` is a non-empty array
// of such objects.
Result<std::vector<ArchiveImage>> parse_archive_manifest(std::string_view text,
                                                         const std::string& what);

}  // namespace cairn
