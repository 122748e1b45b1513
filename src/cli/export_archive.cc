#include "cli/export_archive.h"

#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "oci/media_types.h"
#include "store/layer_blobs.h"
#include "util/sys.h"
#include "util/tar_header.h"

namespace cairn::cli {
namespace {

using Json = nlohmann::ordered_json;
namespace th = tar_header;

// Plain files, one after another, into a tar on FD.
class TarOut {
 public:
  explicit TarOut(int fd) : m_fd(fd) {}

  Result<void> add(const std::string& name, std::string_view data) {
    MemoryReader reader(data);
    return add(name, data.size(), reader);
  }
  // Copies exactly SIZE bytes of READER (which must end there).
  Result<void> add(const std::string& name, std::uint64_t size, Reader& reader) {
    std::optional<th::Block> header = th::file_header(name, size);
    if (!header) return fail(Errc::bad_input, "archive member name too long: " + name);
    TRY(write(std::as_bytes(std::span(*header))));
    std::uint64_t left = size;
    for (;;) {
      ASSIGN_OR_RETURN(size_t n, reader.read(m_buf));
      if (n == 0) break;
      if (n > left)
        return fail(Errc::bad_input,
                    name + ": more than the " + std::to_string(size) + " bytes expected");
      TRY(write(std::span(m_buf).first(n)));
      left -= n;
    }
    if (left > 0) return fail(Errc::bad_input, name + ": " + std::to_string(left) + " bytes short");
    return pad(size);
  }
  Result<void> finish() {
    std::vector<std::byte> end(2 * th::k_block);
    return write(end);
  }

 private:
  Result<void> write(std::span<const std::byte> bytes) {
    return sys::write_all(m_fd, bytes, "archive");
  }
  Result<void> pad(std::uint64_t size) {
    std::vector<std::byte> zeros((th::k_block - size % th::k_block) % th::k_block);
    return write(zeros);
  }

  int m_fd;
  std::vector<std::byte> m_buf = std::vector<std::byte>(1 << 20);
};

struct LayerSource {
  bool kept = false;  // the kept blob, else the rebuilt tar
  Digest digest;      // of what is written
  std::uint64_t size = 0;
  std::string media_type;
};

// The rebuilt tar's size: recorded at ingest, else measured.
Result<std::uint64_t> tar_size(Store& store, const ImageRecord& image, size_t index) {
  if (image.layers[index].tar_size > 0) return image.layers[index].tar_size;
  ASSIGN_OR_RETURN(auto tar, open_layer_tar(store, image, index));
  return drain(*tar);
}

Result<LayerSource> source_of(Store& store, const ImageRecord& image, size_t index,
                              bool blobs_wanted) {
  const LayerRecord& layer = image.layers[index];
  if (blobs_wanted) {
    ASSIGN_OR_RETURN(auto blob, open_kept_blob(store, image, index));
    if (blob) {
      std::uint64_t size = layer.blob_size ? *layer.blob_size : 0;
      if (!layer.blob_size) {
        ASSIGN_OR_RETURN(size, drain(**blob));
      }
      return LayerSource{true, *layer.blob_digest, size, layer.media_type};
    }
  }
  ASSIGN_OR_RETURN(std::uint64_t size, tar_size(store, image, index));
  return LayerSource{false, layer.diff_id, size, std::string(media_type::k_oci_layer)};
}

Result<void> add_layer(Store& store, const ImageRecord& image, size_t index,
                       const LayerSource& source, const std::string& name, TarOut& out) {
  if (source.kept) {
    ASSIGN_OR_RETURN(auto blob, open_kept_blob(store, image, index));
    if (!blob) return fail(Errc::not_found, "kept blob " + source.digest.str() + " went away");
    return out.add(name, source.size, **blob);
  }
  ASSIGN_OR_RETURN(auto tar, open_layer_tar(store, image, index));
  return out.add(name, source.size, *tar);
}

std::string blob_name(const Digest& digest) {
  return "blobs/sha256/" + std::string(digest.hex());
}

std::string new_oci_manifest(const ImageRecord& image, const std::vector<LayerSource>& layers) {
  Json manifest = {{"schemaVersion", 2},
                   {"mediaType", media_type::k_oci_manifest},
                   {"config",
                    {{"mediaType", media_type::k_oci_config},
                     {"digest", image.id.str()},
                     {"size", image.config.size()}}},
                   {"layers", Json::array()}};
  for (const LayerSource& layer : layers) {
    manifest["layers"].push_back(
        {{"mediaType", layer.media_type}, {"digest", layer.digest.str()}, {"size", layer.size}});
  }
  return manifest.dump();
}

// The stored manifest's media type, when it can stand for itself.
std::string manifest_media_type(const std::string& manifest) {
  Json parsed = Json::parse(manifest, nullptr, false);
  if (parsed.is_object() && parsed.contains("mediaType") && parsed["mediaType"].is_string()) {
    return parsed["mediaType"].get<std::string>();
  }
  return std::string(media_type::k_oci_manifest);
}

Result<void> write_oci(Store& store, const ImageRecord& image, TarOut& out) {
  std::vector<LayerSource> layers;
  bool all_kept = true;
  for (size_t i = 0; i < image.layers.size(); ++i) {
    ASSIGN_OR_RETURN(LayerSource source, source_of(store, image, i, true));
    all_kept = all_kept && source.kept;
    layers.push_back(std::move(source));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> stored, stored_manifest(store, image));
  bool original = all_kept && stored && Digest::of(*stored) == *image.manifest_digest;
  std::string manifest = original ? *stored : new_oci_manifest(image, layers);
  Digest manifest_digest = Digest::of(manifest);
  Json descriptor = {{"mediaType", original ? manifest_media_type(manifest)
                                            : std::string(media_type::k_oci_manifest)},
                     {"digest", manifest_digest.str()},
                     {"size", manifest.size()}};
  if (!image.names.empty()) {
    descriptor["annotations"] = {{"org.opencontainers.image.ref.name", image.names.front()}};
  }
  Json index = {{"schemaVersion", 2},
                {"mediaType", media_type::k_oci_index},
                {"manifests", Json::array({descriptor})}};
  TRY(out.add("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  TRY(out.add("index.json", index.dump()));
  TRY(out.add(blob_name(manifest_digest), manifest));
  TRY(out.add(blob_name(image.id), image.config));
  std::set<Digest> written{manifest_digest, image.id};
  for (size_t i = 0; i < layers.size(); ++i) {
    if (!written.insert(layers[i].digest).second) continue;
    TRY(add_layer(store, image, i, layers[i], blob_name(layers[i].digest), out));
  }
  return {};
}

std::vector<std::string> repo_tags(const ImageRecord& image) {
  std::vector<std::string> tags;
  for (const std::string& name : image.names) {
    size_t slash = name.rfind('/');
    bool tagged = name.find(':', slash == std::string::npos ? 0 : slash) != std::string::npos;
    tags.push_back(tagged ? name : name + ":latest");
  }
  return tags;
}

Result<void> write_docker(Store& store, const ImageRecord& image, TarOut& out) {
  std::string config_name = std::string(image.id.hex()) + ".json";
  Json layers = Json::array();
  for (const LayerRecord& layer : image.layers) {
    layers.push_back(std::string(layer.diff_id.hex()) + "/layer.tar");
  }
  Json manifest =
      Json::array({{{"Config", config_name}, {"RepoTags", repo_tags(image)}, {"Layers", layers}}});
  TRY(out.add("manifest.json", manifest.dump()));
  TRY(out.add(config_name, image.config));
  std::set<Digest> written;
  for (size_t i = 0; i < image.layers.size(); ++i) {
    const Digest& diff_id = image.layers[i].diff_id;
    if (!written.insert(diff_id).second) continue;
    ASSIGN_OR_RETURN(LayerSource source, source_of(store, image, i, false));
    TRY(add_layer(store, image, i, source, std::string(diff_id.hex()) + "/layer.tar", out));
  }
  return {};
}

}  // namespace

Result<void> write_image_archive(Store& store, const ImageRecord& image, ArchiveForm form, int fd) {
  TarOut out(fd);
  TRY(form == ArchiveForm::oci ? write_oci(store, image, out) : write_docker(store, image, out));
  return out.finish();
}

}  // namespace cairn::cli
