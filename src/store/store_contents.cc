// Records are read with a line buffer that grows to the longest line
// (bounded by k_max_line); only type-1 lines (file references) are kept,
// numbered for their occurrence exactly as source/tar_split.cc numbers them
// when it rebuilds a layer (every type-1 line with a name counts).
#include "store/store_contents.h"

#include <fcntl.h>

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "layer/decompress.h"
#include "source/registry_auth.h"
#include "store/layer_keeping.h"
#include "util/sha256.h"
#include "util/sys.h"

namespace cairn {
namespace {

using Json = nlohmann::json;

constexpr size_t k_chunk = 64 << 10;
constexpr size_t k_max_line = 64 << 20;
constexpr size_t k_max_candidates = 4;
constexpr std::int64_t k_file_type = 1;

// Calls `line` for each line of `in`.
template <typename Fn>
Result<void> for_each_line(Reader& in, const std::string& what, Fn line) {
  std::string buf;
  std::string chunk(k_chunk, '\0');
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, in.read(std::as_writable_bytes(std::span(chunk))));
    if (n == 0) break;
    buf.append(chunk, 0, n);
    size_t start = 0;
    for (size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1) {
      TRY(line(std::string_view(buf).substr(start, nl - start)));
    }
    buf.erase(0, start);
    if (buf.size() > k_max_line) return fail(Errc::bad_input, what + ": a line too long");
  }
  if (!buf.empty()) TRY(line(std::string_view(buf)));
  return {};
}

std::optional<std::string> member_name(const Json& record) {
  auto raw = record.find("name_raw");
  if (raw != record.end() && raw->is_string()) {
    auto decoded = base64_decode(raw->get_ref<const std::string&>());
    if (!decoded) return std::nullopt;
    return std::move(*decoded);
  }
  auto plain = record.find("name");
  if (plain != record.end() && plain->is_string()) return plain->get<std::string>();
  return std::nullopt;
}

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
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open(path, O_RDONLY));
  ASSIGN_OR_RETURN(auto lines, make_decompressor(std::make_unique<FdReader>(std::move(fd), path),
                                                 Compression::gzip));
  ContentCounter counter;
  return for_each_line(*lines, path, [&](std::string_view line) -> Result<void> {
    Json record = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!record.is_object() || record.value("type", std::int64_t{0}) != k_file_type) return {};
    std::optional<std::string> name = member_name(record);
    if (!name) return {};
    auto size = record.find("size");
    std::uint64_t bytes = size != record.end() && size->is_number_unsigned()
                              ? size->get<std::uint64_t>() : 0;
    ContentRef ref = counter.next(std::move(*name), bytes);
    auto digest = record.find("digest");
    if (bytes == 0 || digest == record.end() || !digest->is_string()) return {};
    auto parsed = Digest::parse(digest->get_ref<const std::string&>());
    if (!parsed) return {};
    auto& candidates = m_by_content[Key{parsed->str(), bytes}];
    if (candidates.size() < k_max_candidates) candidates.push_back({image, layer, std::move(ref)});
    return {};
  });
}

Result<LayerContents*> StoreContents::layer_contents(const Location& at) const {
  auto key = std::make_pair(at.image, at.layer);
  auto it = m_contents.find(key);
  if (it != m_contents.end()) return it->second.get();
  const ImageRecord& image = m_images[at.image];
  std::vector<ChainLink> chain;
  for (const LayerRecord& layer : image.layers) chain.push_back({layer.diff_id, layer.chain_id});
  ASSIGN_OR_RETURN(auto contents, m_store.backend().layer_contents(chain, at.layer));
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
