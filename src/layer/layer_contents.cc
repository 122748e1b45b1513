#include "layer/layer_contents.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>

#include "layer/oci_path.h"
#include "util/fd_tree.h"
#include "util/sys.h"

namespace cairn {

ContentRef ContentCounter::next(std::string name, std::uint64_t size) {
  auto canonical = normalize_layer_path(name);
  std::string path = canonical ? std::move(*canonical) : name;
  size_t occurrence = m_seen[path]++;
  return ContentRef{std::move(name), std::move(path), occurrence, size};
}

Error LayerContents::mismatch(const ContentRef& ref, const std::string& detail) const {
  return Error(make_error_code(Errc::digest_mismatch), ref.name + ": " + detail);
}

Result<std::unique_ptr<LayerContents>> TreeContents::open_tree(const std::string& dir) {
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open(dir, O_RDONLY | O_DIRECTORY));
  return std::unique_ptr<LayerContents>(std::make_unique<TreeContents>(std::move(fd), dir));
}

Result<std::unique_ptr<Reader>> TreeContents::open(const ContentRef& ref) {
  auto missing = [&](const std::string& why) {
    return fail(Errc::not_found, ref.name + ": " + m_what + " " + why);
  };
  constexpr std::uint64_t k_resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  auto fd = openat2_fd(m_root.get(), ref.path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, k_resolve);
  if (!fd) {
    if (fd.error().is_errno(ENOENT) || fd.error().is_errno(ELOOP) || fd.error().is_errno(ENOTDIR)) {
      return missing("holds no such file");
    }
    return fail(std::move(fd).error().wrap(ref.name));
  }
  ASSIGN_OR_RETURN(struct stat st, sys::fstat(fd->get(), ref.path));
  if (!S_ISREG(st.st_mode)) return missing("holds no regular file there");
  if (static_cast<std::uint64_t>(st.st_size) != ref.size) {
    return missing("holds " + std::to_string(st.st_size) + " bytes there, the record " +
                   std::to_string(ref.size) + " (a later change replaced the file)");
  }
  return std::unique_ptr<Reader>(std::make_unique<FdReader>(std::move(*fd), ref.path));
}

Error TreeContents::mismatch(const ContentRef& ref, const std::string& detail) const {
  return Error(make_error_code(Errc::not_found),
               ref.name + ": " + m_what + " holds another version of the file (" + detail + ")");
}

}  // namespace cairn
