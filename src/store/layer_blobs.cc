#include "store/layer_blobs.h"

#include <fcntl.h>

#include <array>

#include "layer/decompress.h"
#include "layer/hashing_reader.h"
#include "source/tar_split.h"
#include "store/layer_keeping.h"
#include "util/sys.h"

namespace cairn {
namespace {

constexpr std::string_view k_hint_reimport =
    "import the image again (with --keep-blobs to keep its blobs too)";
constexpr std::string_view k_hint_keep_blobs =
    "import the image again with --keep-blobs to keep its original blobs";

// Fails at the end of the stream unless its bytes hash to EXPECTED; adds
// HINT to a not_found error of the stream (a content the backend lacks).
class CheckedReader final : public Reader {
 public:
  CheckedReader(std::unique_ptr<Reader> inner, Digest expected, std::string what)
      : m_hashing(std::move(inner)), m_expected(std::move(expected)), m_what(std::move(what)) {}

  Result<size_t> read(std::span<std::byte> buf) override {
    auto n = m_hashing.read(buf);
    if (!n) {
      Error err = std::move(n).error().wrap(m_what);
      if (err.is(Errc::not_found)) {
        return fail(Errc::not_found,
                    err.context() + "; to get it back, " + std::string(k_hint_keep_blobs));
      }
      return fail(std::move(err));
    }
    if (*n > 0 || buf.empty()) return *n;
    Digest got = m_hashing.digest();
    if (got != m_expected) {
      return fail(Errc::digest_mismatch,
                  m_what + ": the bytes hash to " + got.str() + ", not " + m_expected.str());
    }
    return size_t{0};
  }

 private:
  HashingReader m_hashing;
  Digest m_expected;
  std::string m_what;
};

Result<const LayerRecord*> layer_of(const ImageRecord& image, size_t index) {
  if (index >= image.layers.size()) {
    return fail(Errc::usage, "image " + image.id.str() + " has " +
                                 std::to_string(image.layers.size()) + " layers, no layer " +
                                 std::to_string(index + 1));
  }
  return &image.layers[index];
}

Result<std::optional<UniqueFd>> open_if_present(const std::string& path) {
  auto fd = sys::open(path, O_RDONLY);
  if (!fd) {
    if (fd.error().is_errno(ENOENT)) return std::optional<UniqueFd>();
    return fail(std::move(fd).error());
  }
  return std::optional<UniqueFd>(std::move(*fd));
}

Result<std::optional<UniqueFd>> open_blob_file(Store& store, const LayerRecord& layer) {
  if (!layer.blob_digest) return std::optional<UniqueFd>();
  return open_if_present(kept_blob_path(store.root(), *layer.blob_digest));
}

// The layer's tar from its kept blob, decompressed as its first bytes say.
Result<std::unique_ptr<Reader>> tar_from_blob(UniqueFd fd, const LayerRecord& layer,
                                              const std::string& path) {
  std::array<std::byte, k_compression_magic_size> head{};
  ASSIGN_OR_RETURN(size_t n, sys::pread_full(fd.get(), head, 0, path));
  Compression compression = detect_compression(std::span(head).first(n));
  auto blob = std::make_unique<FdReader>(std::move(fd), path);
  ASSIGN_OR_RETURN(std::unique_ptr<Reader> tar, make_decompressor(std::move(blob), compression));
  return std::unique_ptr<Reader>(std::make_unique<CheckedReader>(std::move(tar), layer.diff_id,
                                                                 "layer " + layer.diff_id.str()));
}

}  // namespace

std::vector<ChainLink> chain_of(const ImageRecord& image) {
  std::vector<ChainLink> chain;
  for (const LayerRecord& layer : image.layers) chain.push_back({layer.diff_id, layer.chain_id});
  return chain;
}

Result<std::optional<std::unique_ptr<Reader>>> open_kept_blob(Store& store,
                                                              const ImageRecord& image,
                                                              size_t index) {
  ASSIGN_OR_RETURN(const LayerRecord* layer, layer_of(image, index));
  ASSIGN_OR_RETURN(std::optional<UniqueFd> fd, open_blob_file(store, *layer));
  if (!fd) return std::optional<std::unique_ptr<Reader>>();
  std::string path = kept_blob_path(store.root(), *layer->blob_digest);
  auto blob = std::make_unique<FdReader>(std::move(*fd), path);
  return std::optional<std::unique_ptr<Reader>>(
      std::make_unique<CheckedReader>(std::move(blob), *layer->blob_digest, "kept blob " + path));
}

Result<std::unique_ptr<Reader>> open_layer_tar(Store& store, const ImageRecord& image,
                                               size_t index) {
  ASSIGN_OR_RETURN(const LayerRecord* layer, layer_of(image, index));
  // A kept blob always gives the layer; the trees of dir, btrfs and zfs may not.
  if (layer->blob_digest) {
    std::string blob_path = kept_blob_path(store.root(), *layer->blob_digest);
    auto blob = sys::open(blob_path, O_RDONLY);
    if (blob) return tar_from_blob(std::move(*blob), *layer, blob_path);
    if (!blob.error().is_errno(ENOENT)) return fail(std::move(blob).error());
  }
  return rebuild_layer_tar(store, image, index);
}

Result<std::unique_ptr<Reader>> rebuild_layer_tar(Store& store, const ImageRecord& image,
                                                  size_t index) {
  ASSIGN_OR_RETURN(const LayerRecord* layer, layer_of(image, index));
  std::string what = "layer " + std::to_string(index + 1) + "/" +
                     std::to_string(image.layers.size()) + " " + layer->diff_id.str();
  std::string record_path = tar_split_path(store.root(), layer->diff_id);
  auto record = sys::open(record_path, O_RDONLY);
  if (!record && record.error().is_errno(ENOENT)) {
    return fail(Errc::not_found, what + ": the store has no tar-split record of it (" +
                                     record_path +
                                     "; the layer was imported by an older "
                                     "cairn) and no kept blob; to get it back, " +
                                     std::string(k_hint_reimport));
  }
  if (!record) return fail(std::move(record).error());
  auto compressed = std::make_unique<FdReader>(std::move(*record), record_path);
  ASSIGN_OR_RETURN(std::unique_ptr<Reader> lines,
                   make_decompressor(std::move(compressed), Compression::gzip));
  std::vector<ChainLink> chain = chain_of(image);
  ASSIGN_OR_RETURN(std::unique_ptr<LayerContents> contents,
                   store.backend().layer_contents(chain, index));
  auto tar = std::make_unique<TarSplitReader>(std::move(lines), std::move(contents), record_path);
  return std::unique_ptr<Reader>(
      std::make_unique<CheckedReader>(std::move(tar), layer->diff_id, what));
}

Result<std::optional<std::string>> stored_manifest(Store& store, const ImageRecord& image) {
  if (!image.manifest_digest) return std::optional<std::string>();
  return store.metadata().image_manifest(image.id);
}

}  // namespace cairn
