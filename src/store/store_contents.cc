#include "store/store_contents.h"

#include <set>

#include "store/layer_blobs.h"
#include "store/layer_keeping.h"
#include "store/record_references.h"
#include "util/sha256.h"
#include "util/sys.h"

namespace cairn {
namespace {

constexpr size_t k_chunk = 64 << 10;
constexpr size_t k_max_candidates = 4;

}  // namespace

Result<std::unique_ptr<StoreContents>> StoreContents::load(Store& store) {
  std::unique_ptr<StoreContents> contents(new StoreContents(store));
  ASSIGN_OR_RETURN(contents->m_images, store.metadata().list_images());
  std::set<Digest> seen;
  for (size_t i = 0; i < contents->m_images.size(); ++i) {
    const ImageRecord& image = contents->m_images[i];
    for (size_t l = 0; l < image.layers.size(); ++l) {
      if (!seen.insert(image.layers[l].diff_id).second) continue;
      std::string path = tar_split_path(store.root(), image.layers[l].diff_id);
      ASSIGN_OR_RETURN(bool present, sys::exists(path));
      if (present) TRY(contents->add_record(i, l, path));
    }
  }
  return contents;
}

Result<void> StoreContents::add_record(size_t image, size_t layer, const std::string& path) {
  return for_each_reference(
      path, [&](const ContentRef& ref, const std::optional<Digest>& sha256) -> Result<void> {
        if (ref.size == 0 || !sha256) return {};
        auto& candidates = m_by_content[Key{sha256->str(), ref.size}];
        if (candidates.size() < k_max_candidates) candidates.push_back({image, layer, ref});
        return {};
      });
}

Result<LayerContents*> StoreContents::layer_contents(const Location& at) const {
  auto key = std::make_pair(at.image, at.layer);
  auto it = m_contents.find(key);
  if (it != m_contents.end()) return it->second.get();
  const ImageRecord& image = m_images[at.image];
  ASSIGN_OR_RETURN(auto contents, m_store.backend().layer_contents(chain_of(image), at.layer));
  return m_contents.emplace(key, std::move(contents)).first->second.get();
}

Result<bool> StoreContents::verify(const Location& at, const Digest& sha256,
                                   std::uint64_t size) const {
  ASSIGN_OR_RETURN(LayerContents * contents, layer_contents(at));
  ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader, contents->open(at.ref));
  Sha256 hash;
  std::uint64_t total = 0;
  std::string chunk(k_chunk, '\0');
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, reader->read(std::as_writable_bytes(std::span(chunk))));
    if (n == 0) break;
    total += n;
    if (total > size) return false;
    hash.update(std::string_view(chunk).substr(0, n));
  }
  return total == size && Digest::from_sum(hash.finish()) == sha256;
}

bool StoreContents::has(const Digest& sha256, std::uint64_t size) const {
  Key key{sha256.str(), size};
  auto known = m_verified.find(key);
  if (known != m_verified.end()) return known->second.has_value();
  std::optional<Location> found;
  auto candidates = m_by_content.find(key);
  if (candidates != m_by_content.end()) {
    for (const Location& at : candidates->second) {
      auto ok = verify(at, sha256, size);
      if (ok && *ok) {
        found = at;
        break;
      }
    }
  }
  m_verified.emplace(key, found);
  return found.has_value();
}

Result<std::unique_ptr<Reader>> StoreContents::open(const Digest& sha256,
                                                    std::uint64_t size) const {
  auto known = m_verified.find(Key{sha256.str(), size});
  if (known == m_verified.end() || !known->second) {
    return fail(Errc::not_found, "the store holds no verified content " + sha256.str());
  }
  ASSIGN_OR_RETURN(LayerContents * contents, layer_contents(*known->second));
  return contents->open(known->second->ref);
}

}  // namespace cairn
