// Planning an image from an OCI image layout (oci-layout, index.json,
// blobs/sha256/<hex>), wherever its files live: a directory, a tar archive.
//
// Selection: with a tag, the index.json entries whose
// "org.opencontainers.image.ref.name" annotation equals it; without one, the
// only entry, or, when no entry carries a tag, the entries taken as a
// manifest list. Several candidates, or a candidate that is itself an index
// (nested, up to k_max_index_depth), are resolved to the wanted platform.
// Every manifest and config read is checked against its descriptor digest
// (Errc::digest_mismatch) and every layer blob must exist (Errc::not_found).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "oci/digest.h"
#include "oci/image_plan.h"
#include "oci/platform.h"
#include "util/error.h"
#include "util/reader.h"

namespace cairn {

// Read access to the files of a layout by '/'-separated relative path.
// Implementations must be usable from layer open() calls after planning.
class LayoutFiles {
 public:
  virtual ~LayoutFiles() = default;
  // A fresh reader of the file; Errc::not_found if it does not exist.
  virtual Result<std::unique_ptr<Reader>> open(const std::string& path) const = 0;
  virtual Result<bool> exists(const std::string& path) const = 0;
  // Names the layout in errors ("oci:DIR", "oci-archive:FILE").
  virtual std::string describe() const = 0;
};

inline constexpr int k_max_index_depth = 4;

// "blobs/sha256/<hex>".
std::string blob_path(const Digest& digest);

// Reads a file of at most max_size bytes (Errc::bad_input above).
Result<std::string> read_layout_file(const LayoutFiles& files, const std::string& path,
                                     size_t max_size);

Result<ImagePlan> plan_oci_layout(std::shared_ptr<const LayoutFiles> files,
                                  const std::optional<std::string>& tag, const Platform& platform);

}  // namespace cairn
