// composefs: the contents of a layer's regular files, for rebuilding its tar
// (Backend::layer_contents). The layer index holds the layer's entries in
// archive order with canonical paths; the n-th reference of a path in the
// record (layer/layer_contents.h) is the n-th regular-file entry of that path
// in the index: its object (by fs-verity digest) or its inline bytes. The
// objects are content-addressed, so a sha256 that differs from the record's
// means a corrupt store (Errc::digest_mismatch, the default).
#include <fcntl.h>

#include <map>
#include <vector>

#include "backend/composefs/composefs_backend.h"
#include "util/sys.h"

namespace cairn::composefs {
namespace {

// Reads an inline content the reader owns.
class IndexContents final : public LayerContents {
 public:
  IndexContents(LayerIndex index, const ObjectStore& objects, std::string what)
      : m_index(std::move(index)), m_objects(objects), m_what(std::move(what)) {
    for (const IndexEntry& e : m_index.entries) {
      if (e.op == IndexOp::regular) m_files[e.path].push_back(&e);
    }
  }

  Result<std::unique_ptr<Reader>> open(const ContentRef& ref) override {
    auto files = m_files.find(ref.path);
    if (files == m_files.end() || ref.occurrence >= files->second.size()) {
      return fail(Errc::not_found, ref.name + ": " + m_what + " has no regular file " +
                                       std::to_string(ref.occurrence + 1) + " at /" + ref.path);
    }
    const IndexEntry& e = *files->second[ref.occurrence];
    if (e.size != ref.size) {
      return fail(Errc::digest_mismatch, ref.name + ": " + m_what + " says " +
                                             std::to_string(e.size) + " bytes, the record " +
                                             std::to_string(ref.size));
    }
    if (!e.object) return std::unique_ptr<Reader>(std::make_unique<StringReader>(e.data));
    std::string path = m_objects.path_of(*e.object);
    auto fd = sys::open(path, O_RDONLY);
    if (!fd) {
      if (fd.error().is_errno(ENOENT)) {
        return fail(Errc::not_found, ref.name + ": object " + path + " is missing");
      }
      return fail(std::move(fd).error());
    }
    return std::unique_ptr<Reader>(std::make_unique<FdReader>(std::move(*fd), path));
  }

 private:
  LayerIndex m_index;
  const ObjectStore& m_objects;
  std::string m_what;
  std::map<std::string, std::vector<const IndexEntry*>> m_files;
};

}  // namespace

Result<std::unique_ptr<LayerContents>> ComposefsBackend::layer_contents(
    std::span<const ChainLink> chain, size_t index) {
  if (index >= chain.size()) return fail(Errc::usage, "layer index out of range");
  ASSIGN_OR_RETURN(LayerIndex layer, read_index(chain[index].diff_id));
  return std::unique_ptr<LayerContents>(std::make_unique<IndexContents>(
      std::move(layer), m_objects, "layer index " + index_path(chain[index].diff_id)));
}

}  // namespace cairn::composefs
