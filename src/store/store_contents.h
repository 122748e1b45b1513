// The file contents a store holds, by sha256 and size: the LocalContents a
// partial pull (source/zstd_chunked_layer.h) takes what it need not download
// from.
//
// load() reads the tar-split record (store/layer_keeping.h) of every layer
// of every image once: each regular file's reference with a "digest" is a
// candidate location (image, layer, ContentRef) of that content. Layers
// without a record (imported by an older cairn) contribute nothing.
//
// has() opens the first candidates of a content through the backend
// (Backend::layer_contents) and hashes them, and answers yes only for one
// whose bytes are that sha256 and size; the answer is kept. That costs a
// local read of every content a pull reuses, and makes the answer true on
// every backend: the dir backend's merged tree, say, holds a later version of
// a path some layer wrote. open() opens the candidate has() verified.
// Reading the store only; not thread-safe. The store must outlive it.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "layer/layer_contents.h"
#include "oci/image_plan.h"
#include "store/store.h"

namespace cairn {

class StoreContents final : public LocalContents {
 public:
  static Result<std::unique_ptr<StoreContents>> load(Store& store);

  bool has(const Digest& sha256, std::uint64_t size) const override;
  Result<std::unique_ptr<Reader>> open(const Digest& sha256, std::uint64_t size) const override;

  size_t candidates() const { return m_by_content.size(); }

 private:
  struct Location {
    size_t image = 0;  // into m_images
    size_t layer = 0;
    ContentRef ref;
  };
  using Key = std::pair<std::string, std::uint64_t>;  // sha256, size

  explicit StoreContents(Store& store) : m_store(store) {}
  Result<void> add_record(size_t image, size_t layer, const std::string& path);
  Result<LayerContents*> layer_contents(const Location& at) const;
  Result<bool> verify(const Location& at, const Digest& sha256, std::uint64_t size) const;

  Store& m_store;
  std::vector<ImageRecord> m_images;
  std::map<Key, std::vector<Location>> m_by_content;
  mutable std::map<Key, std::optional<Location>> m_verified;
  mutable std::map<std::pair<size_t, size_t>, std::unique_ptr<LayerContents>> m_contents;
};

}  // namespace cairn
