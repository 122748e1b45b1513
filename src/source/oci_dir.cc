#include <fcntl.h>

#include "source/file_sources.h"
#include "source/oci_layout.h"
#include "util/sys.h"

namespace cairn {
namespace {

// Files of a layout directory, opened relative to a descriptor of the
// directory taken at plan time.
class DirLayoutFiles final : public LayoutFiles {
 public:
  DirLayoutFiles(UniqueFd dir, std::string path) : m_dir(std::move(dir)), m_path(std::move(path)) {}

  Result<std::unique_ptr<Reader>> open(const std::string& path) const override {
    auto fd = sys::open_at(m_dir.get(), path, O_RDONLY | O_NONBLOCK);
    if (!fd && fd.error().is_errno(ENOENT)) {
      return fail(Errc::not_found, describe() + ": missing " + path);
    }
    if (!fd) return fail(std::move(fd.error()).wrap(describe()));
    ASSIGN_OR_RETURN(struct stat st, sys::fstat(fd->get(), path));
    if (!S_ISREG(st.st_mode))
      return fail(Errc::bad_input, describe() + ": " + path + " is not a regular file");
    return std::make_unique<FdReader>(std::move(*fd), m_path + "/" + path);
  }

  Result<bool> exists(const std::string& path) const override {
    struct stat st {};
    if (::fstatat(m_dir.get(), path.c_str(), &st, 0) == 0) return S_ISREG(st.st_mode);
    if (errno == ENOENT) return false;
    return fail_errno(errno, "stat " + m_path + "/" + path);
  }

  std::string describe() const override { return "oci:" + m_path; }

 private:
  UniqueFd m_dir;
  std::string m_path;
};

}  // namespace

Result<ImagePlan> plan_oci_dir(const std::string& dir, const std::optional<std::string>& tag,
                               const Platform& platform) {
  auto fd = sys::open(dir, O_RDONLY | O_DIRECTORY);
  if (!fd && fd.error().is_errno(ENOENT))
    return fail(Errc::not_found, "oci:" + dir + ": no such directory");
  if (!fd) return fail(std::move(fd.error()));
  auto files = std::make_shared<const DirLayoutFiles>(std::move(*fd), dir);
  return plan_oci_layout(std::move(files), tag, platform);
}

}  // namespace cairn
