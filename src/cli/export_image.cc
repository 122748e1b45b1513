#include "cli/export_image.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <vector>

#include "cli/export_archive.h"
#include "cli/export_view.h"
#include "layer/squashfs_export.h"
#include "layer/tree_export.h"
#include "oci/enroot.h"
#include "util/sys.h"
#include "util/temp_dir.h"

namespace cairn::cli {
namespace {

constexpr const char* k_stdout = "-";

std::vector<SquashfsExtra> enroot_extras(const EnrootFiles& files) {
  return {{"etc/rc", files.rc, 0755},
          {"etc/environment", files.environment, 0644},
          {"etc/fstab", files.fstab, 0644},
          {"etc/rc.local", files.rc_local, 0644}};
}

Result<void> copy_to_stdout(const std::string& path) {
  ASSIGN_OR_RETURN(UniqueFd in, sys::open(path, O_RDONLY));
  std::vector<std::byte> buf(1 << 20);
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, sys::read_some(in.get(), buf, path));
    if (n == 0) return {};
    TRY(sys::write_all(STDOUT_FILENO, std::span(buf.data(), n), "stdout"));
  }
}

// Writes the squashfs into STAGING, then to OUTPUT (a path or "-").
Result<void> write_enroot_squashfs(const std::string& rootfs, const ImageRecord& image,
                                   const std::string& staging, const std::string& output) {
  ASSIGN_OR_RETURN(EnrootFiles files, enroot_files(image.config));
  std::uint32_t time = config_created_seconds(image.config);
  if (output != k_stdout) {
    return write_squashfs(rootfs, enroot_extras(files), time, staging, output);
  }
  const std::string built = staging + "/image.sqsh";
  TRY(write_squashfs(rootfs, enroot_extras(files), time, staging, built));
  return copy_to_stdout(built);
}

// The tar or squashfs to OUTPUT (a path or "-").
Result<void> write_format(Store& store, const ImageRecord& image, ExportFormat format,
                          const std::string& output) {
  if (format == ExportFormat::oci_archive || format == ExportFormat::docker_archive) {
    ArchiveForm form = format == ExportFormat::oci_archive ? ArchiveForm::oci : ArchiveForm::docker;
    if (output == k_stdout) return write_image_archive(store, image, form, STDOUT_FILENO);
    ASSIGN_OR_RETURN(UniqueFd fd, sys::open(output, O_WRONLY | O_CREAT | O_TRUNC, 0644));
    return write_image_archive(store, image, form, fd.get());
  }
  ASSIGN_OR_RETURN(ExportView view, ExportView::open(store, image.top_chain));
  if (format == ExportFormat::tar) {
    if (output == k_stdout) return export_tree(view.path(), STDOUT_FILENO);
    ASSIGN_OR_RETURN(UniqueFd fd, sys::open(output, O_WRONLY | O_CREAT | O_TRUNC, 0644));
    return export_tree(view.path(), fd.get());
  }
  TRY(sys::make_dirs(store.root() + "/exports", 0700));
  ASSIGN_OR_RETURN(TempDir staging, TempDir::create(store.root() + "/exports", "squashfs-"));
  return write_enroot_squashfs(view.path(), image, staging.path(), output);
}

}  // namespace

Result<ExportFormat> parse_export_format(const std::string& name) {
  if (name == "tar") return ExportFormat::tar;
  if (name == "squashfs") return ExportFormat::squashfs;
  if (name == "oci-archive") return ExportFormat::oci_archive;
  if (name == "docker-archive") return ExportFormat::docker_archive;
  return fail(Errc::usage, "export format \"" + name +
                               "\": expected tar, squashfs, oci-archive or docker-archive");
}

Result<void> export_image(Store& store, const ImageRecord& image, ExportFormat format,
                          const std::string& output) {
  if (output == k_stdout) return write_format(store, image, format, output);
  const std::string partial = output + ".partial";
  auto written = write_format(store, image, format, partial);
  if (written) {
    written = [&]() -> Result<void> {
      ASSIGN_OR_RETURN(UniqueFd fd, sys::open(partial, O_RDONLY));
      TRY(sys::fsync(fd.get(), partial));
      return sys::rename(partial, output);
    }();
  }
  if (!written) ::unlink(partial.c_str());
  return written;
}

}  // namespace cairn::cli
