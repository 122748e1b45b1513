// Writing an image out of the store, shared by `cairn export` and
// `cairn pyxis-importer` (doc/cli.md, doc/pyxis.md).
#pragma once

#include <string>

#include "store/store.h"
#include "util/error.h"

namespace cairn::cli {

enum class ExportFormat { tar, squashfs, oci_archive, docker_archive };

// Errc::usage for anything but "tar", "squashfs", "oci-archive" or "docker-archive".
Result<ExportFormat> parse_export_format(const std::string& name);

// Writes IMAGE's root filesystem to OUTPUT, or to stdout when OUTPUT is "-".
// A file appears only once complete: written as OUTPUT.partial, fsynced and
// renamed (a failure removes the partial file). squashfs: the enroot image
// format (oci/enroot.h) built by mksquashfs (layer/squashfs_export.h), staged
// under ROOT/exports/ (removed afterwards; for stdout the image is built
// there first, mksquashfs cannot write to a pipe). oci-archive,
// docker-archive: the image as imported (cli/export_archive.h).
Result<void> export_image(Store& store, const ImageRecord& image, ExportFormat format,
                          const std::string& output);

}  // namespace cairn::cli
