#include "store/layer_keeping.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>

#include "util/gzip_writer.h"
#include "util/sys.h"
#include "util/writer.h"

namespace cairn {
namespace {

// Layers are kept from several threads at once (store/import.cc).
std::string staged_name(const std::string& root, std::string_view what) {
  static std::atomic<unsigned> counter = 0;
  return root + "/tmp/" + std::string(what) + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(counter++);
}

// Moves STAGED to TARGET unless TARGET exists, in which case STAGED goes.
Result<void> move_into_place(const std::string& staged, const std::string& target) {
  ASSIGN_OR_RETURN(bool present, sys::exists(target));
  if (present) {
    if (::unlink(staged.c_str()) != 0) return fail_errno(errno, "unlink " + staged);
    return {};
  }
  TRY(sys::make_dirs(sys::dirname(target), 0700));
  TRY(sys::rename(staged, target));
  return sys::fsync_path(sys::dirname(target));
}

}  // namespace

std::string tar_split_path(const std::string& root, const Digest& diff_id) {
  return root + "/tar-split/" + std::string(diff_id.hex()) + ".tar-split.gz";
}

std::string kept_blob_path(const std::string& root, const Digest& blob_digest) {
  return root + "/blobs/sha256/" + std::string(blob_digest.hex());
}

struct LayerKeeping::Files {
  std::optional<FileWriter> record_file;
  std::optional<GzipWriter> record_gzip;
  std::optional<TarSplitRecorder> recorder;
  std::optional<FileWriter> blob_file;
  std::vector<std::string> staged;  // removed unless published
};

LayerKeeping::LayerKeeping(std::string root)
    : m_root(std::move(root)), m_files(std::make_unique<Files>()) {}

LayerKeeping::~LayerKeeping() {
  for (const std::string& path : m_files->staged) ::unlink(path.c_str());
}

Result<std::unique_ptr<LayerKeeping>> LayerKeeping::start(const std::string& root, KeepWhat what) {
  std::unique_ptr<LayerKeeping> keeping(new LayerKeeping(root));
  Files& f = *keeping->m_files;
  if (what.record) {
    std::string path = staged_name(root, "tar-split");
    ASSIGN_OR_RETURN(FileWriter file, FileWriter::create(path));
    f.staged.push_back(path);
    f.record_file.emplace(std::move(file));
    f.record_gzip.emplace(*f.record_file);
    f.recorder.emplace(*f.record_gzip);
    keeping->m_taps.tar_split = &*f.recorder;
  }
  if (what.blob) {
    std::string path = staged_name(root, "blob");
    ASSIGN_OR_RETURN(FileWriter file, FileWriter::create(path));
    f.staged.push_back(path);
    f.blob_file.emplace(std::move(file));
    keeping->m_taps.blob_copy = &*f.blob_file;
  }
  return keeping;
}

Result<void> LayerKeeping::seal() {
  if (m_files->record_gzip) TRY(m_files->record_gzip->finish());
  if (m_files->blob_file) TRY(m_files->blob_file->finish());
  return {};
}

Result<void> LayerKeeping::publish(const Digest& diff_id, const Digest& blob_digest) {
  Files& f = *m_files;
  if (f.record_file) TRY(move_into_place(f.record_file->path(), tar_split_path(m_root, diff_id)));
  if (f.blob_file) TRY(move_into_place(f.blob_file->path(), kept_blob_path(m_root, blob_digest)));
  f.staged.clear();
  return {};
}

}  // namespace cairn
