#include "source/file_sources.h"
#include "source/archive_layout_files.h"

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

Result<ImagePlan> plan_oci_archive(const std::string& file, const std::optional<std::string>& tag,
                                   const Platform& platform) {
  auto index = TarIndex::open(file);
  if (!index && index.error().is_errno(ENOENT)) {
    return fail(Errc::not_found, "oci-archive:" + file + ": no such file");
  }
  if (!index) return fail(std::move(index.error()));
  auto shared = std::make_shared<const TarIndex>(std::move(*index));
  auto files = std::make_shared<const ArchiveLayoutFiles>(std::move(shared), "oci-archive:" + file);
  return plan_oci_layout(std::move(files), tag, platform);
}

}  // namespace cairn
