#include "source/archive_layout_files.h"
#include "source/file_sources.h"

namespace cairn {

Result<std::unique_ptr<Reader>> ArchiveLayoutFiles::open(const std::string& path) const {
  return m_index->open_member(path);
}

Result<bool> ArchiveLayoutFiles::exists(const std::string& path) const {
  auto member = m_index->find(path);
  if (member) return true;
  if (member.error().is(Errc::not_found)) return false;
  return fail(std::move(member.error()));
}

Result<std::shared_ptr<const TarIndex>> open_archive(std::string_view scheme,
                                                     const std::string& file) {
  auto index = TarIndex::open(file);
  if (!index && index.error().is_errno(ENOENT)) {
    return fail(Errc::not_found, std::string(scheme) + ":" + file + ": no such file");
  }
  if (!index) return fail(std::move(index.error()));
  return std::make_shared<const TarIndex>(std::move(*index));
}

Result<ImagePlan> plan_oci_archive(const std::string& file, const std::optional<std::string>& tag,
                                   const Platform& platform) {
  ASSIGN_OR_RETURN(auto tar, open_archive("oci-archive", file));
  auto files = std::make_shared<const ArchiveLayoutFiles>(std::move(tar), "oci-archive:" + file);
  return plan_oci_layout(std::move(files), tag, platform);
}

}  // namespace cairn
