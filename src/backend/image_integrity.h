// The integrity capability of a backend whose images carry a digest of their
// own (composefs: the fs-verity digest of the image's flat EROFS image,
// backend/composefs/integrity.h). Backend::integrity() hands it out, or
// nullptr for backends without one, so that callers ask for the capability
// instead of casting to a backend.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/digest.h"
#include "util/error.h"

namespace cairn {

// What a verification re-hashed, and every problem it found (one line each).
struct IntegrityReport {
  std::size_t images = 0;       // images checked
  std::size_t erofs_files = 0;  // image files re-hashed
  std::size_t objects = 0;      // content objects re-hashed
  std::vector<std::string> problems;
};

class ImageIntegrity {
 public:
  virtual ~ImageIntegrity() = default;
  // The image digest of the image whose top chain is TOP, in hex.
  virtual Result<std::string> image_digest(const Digest& top) = 0;
  // Re-verifies the image from its files and checks that its image digest
  // is EXPECTED (hex): Errc::digest_mismatch saying what differs.
  virtual Result<void> verify_image_digest(const Digest& top, std::string_view expected) = 0;
  // TOP: that image's files and contents; none: every image in the store and
  // every content object present.
  virtual Result<IntegrityReport> verify(const std::optional<Digest>& top) = 0;
  // Where the store keeps the signature of the image (`cairn sign`).
  virtual std::string signature_path(const Digest& top) const = 0;
};

}  // namespace cairn
