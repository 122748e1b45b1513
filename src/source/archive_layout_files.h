// The files of an OCI image layout stored in a tar archive, read in place
// through a TarIndex (links inside the archive are followed).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "source/oci_layout.h"
#include "source/tar_index.h"

namespace cairn {

class ArchiveLayoutFiles final : public LayoutFiles {
 public:
  ArchiveLayoutFiles(std::shared_ptr<const TarIndex> index, std::string description)
      : m_index(std::move(index)), m_description(std::move(description)) {}

  Result<std::unique_ptr<Reader>> open(const std::string& path) const override;
  Result<bool> exists(const std::string& path) const override;
  std::string describe() const override { return m_description; }

 private:
  std::shared_ptr<const TarIndex> m_index;
  std::string m_description;
};

// Indexes FILE, the archive of the source "SCHEME:FILE" (SCHEME e.g.
// "oci-archive"); a missing FILE is Errc::not_found, named so.
Result<std::shared_ptr<const TarIndex>> open_archive(std::string_view scheme,
                                                     const std::string& file);

}  // namespace cairn
