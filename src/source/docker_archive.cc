#include <nlohmann/json.hpp>

#include "oci/manifest.h"
#include "oci/media_types.h"
#include "source/archive_layout_files.h"
#include "source/docker_manifest.h"
#include "source/file_sources.h"
#include "source/tar_index.h"
#include "util/sha256.h"

namespace cairn {
namespace {

using Json = nlohmann::json;

// "busybox" -> "docker.io/library/busybox:latest"; "host:5000/a/b" keeps its host.
std::string normalize_ref(std::string_view ref) {
  std::string out(ref);
  size_t slash = out.find('/');
  std::string_view first = slash == std::string::npos ? "" : std::string_view(out).substr(0, slash);
  bool has_host = first.find_first_of(".:") != std::string_view::npos || first == "localhost";
  if (!has_host) out = (slash == std::string::npos ? "docker.io/library/" : "docker.io/") + out;
  size_t last_slash = out.rfind('/');
  if (out.find(':', last_slash) == std::string::npos && out.find('@') == std::string::npos) {
    out += ":latest";
  }
  return out;
}

std::string list_repo_tags(const std::vector<ArchiveImage>& images) {
  std::string out;
  for (size_t i = 0; i < images.size(); ++i) {
    out += i ? "; " : "";
    out += "@" + std::to_string(i);
    for (const std::string& tag : images[i].repo_tags) out += " " + tag;
  }
  return out;
}

// The chosen image and the name it goes by.
Result<std::pair<const ArchiveImage*, std::string>> select_image(
    const std::vector<ArchiveImage>& images, const std::optional<std::string>& ref,
    const std::string& where) {
  if (!ref) {
    if (images.size() > 1) {
      return fail(Errc::usage,
                  where + ": holds several images; pick one of: " + list_repo_tags(images));
    }
    const auto& tags = images[0].repo_tags;
    return std::pair{&images[0], tags.empty() ? std::string() : tags[0]};
  }
  if (ref->starts_with('@')) {
    std::string_view digits = std::string_view(*ref).substr(1);
    size_t n = 0;
    bool ok = !digits.empty() && digits.size() < 6;
    for (char c : digits) {
      ok = ok && c >= '0' && c <= '9';
      n = n * 10 + static_cast<size_t>(c - '0');
    }
    if (!ok || n >= images.size()) return fail(Errc::not_found, where + ": no image " + *ref);
    const auto& tags = images[n].repo_tags;
    return std::pair{&images[n], tags.empty() ? std::string() : tags[0]};
  }
  std::string want = normalize_ref(*ref);
  for (const ArchiveImage& image : images) {
    for (const std::string& tag : image.repo_tags) {
      if (normalize_ref(tag) == want) return std::pair{&image, tag};
    }
  }
  return fail(Errc::not_found,
              where + ": no image " + *ref + "; images: " + list_repo_tags(images));
}

// The digest a name promises for its content: "blobs/sha256/<hex>" always,
// "<hex>.json" when json_name says so.
enum class JsonName { no, yes };
std::optional<Digest> promised_digest(const std::string& name, JsonName json_name) {
  std::string base = name.substr(name.rfind('/') + 1);
  bool blob = name == "blobs/sha256/" + base || name.ends_with("/blobs/sha256/" + base);
  if (json_name == JsonName::yes && base.ends_with(".json")) {
    base.resize(base.size() - 5);
  } else if (!blob) {
    return std::nullopt;
  }
  auto digest = Digest::parse("sha256:" + base);
  return digest ? std::optional(*digest) : std::nullopt;
}

Result<std::pair<Digest, std::string>> read_config(const TarIndex& tar, const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, tar.read_member(path, k_max_json_document));
  Digest digest = Digest::of(bytes);
  auto promised = promised_digest(path, JsonName::yes);
  if (promised && *promised != digest) {
    return fail(Errc::digest_mismatch,
                tar.name() + ": config " + path + " has digest " + digest.str());
  }
  return std::pair{std::move(digest), std::move(bytes)};
}

Result<Compression> sniff_compression(const TarIndex& tar, const TarIndex::Member& member) {
  ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader, tar.open_member(member));
  std::array<std::byte, 4> magic{};
  size_t got = 0;
  while (got < magic.size()) {
    ASSIGN_OR_RETURN(size_t n, reader->read(std::span(magic).subspan(got)));
    if (n == 0) break;
    got += n;
  }
  auto at = [&](size_t i) { return std::to_integer<unsigned>(magic[i]); };
  if (got >= 2 && at(0) == 0x1f && at(1) == 0x8b) return Compression::gzip;
  if (got == 4 && at(0) == 0x28 && at(1) == 0xb5 && at(2) == 0x2f && at(3) == 0xfd) {
    return Compression::zstd;
  }
  return Compression::none;
}

Result<Digest> hash_member(const TarIndex& tar, const TarIndex::Member& member) {
  ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader, tar.open_member(member));
  Sha256 sha;
  std::array<std::byte, 65536> buf;
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, reader->read(buf));
    if (n == 0) return Digest::from_sum(sha.finish());
    sha.update(std::span<const std::byte>(buf).first(n));
  }
}

Result<LayerDescriptor> make_layer(std::shared_ptr<const TarIndex> tar, const std::string& path,
                                   const Digest& diff_id) {
  ASSIGN_OR_RETURN(const TarIndex::Member* member, tar->find(path));
  ASSIGN_OR_RETURN(Compression compression, sniff_compression(*tar, *member));
  std::string_view type = compression == Compression::gzip   ? media_type::k_oci_layer_gzip
                          : compression == Compression::zstd ? media_type::k_oci_layer_zstd
                                                             : media_type::k_oci_layer;
  std::optional<Digest> blob = promised_digest(member->name, JsonName::no);
  if (compression == Compression::none) {
    blob = diff_id;
  } else if (!blob) {
    ASSIGN_OR_RETURN(blob, hash_member(*tar, *member));
  }
  LayerDescriptor layer{*blob, std::string(type), compression, member->size, diff_id, nullptr};
  layer.open = [tar = std::move(tar), member] { return tar->open_member(*member); };
  return layer;
}

Result<ImagePlan> plan_legacy(std::shared_ptr<const TarIndex> tar,
                              const std::optional<std::string>& ref) {
  const std::string where = "docker-archive:" + tar->name();
  ASSIGN_OR_RETURN(std::string text, tar->read_member("manifest.json", k_max_json_document));
  ASSIGN_OR_RETURN(std::vector<ArchiveImage> images,
                   parse_archive_manifest(text, where + ": manifest.json"));
  ASSIGN_OR_RETURN(auto selected, select_image(images, ref, where));
  const ArchiveImage& image = *selected.first;
  ASSIGN_OR_RETURN(auto config, read_config(*tar, image.config));
  ASSIGN_OR_RETURN(ImageConfig parsed, parse_config(config.second, where + ": " + image.config));
  if (parsed.diff_ids.size() != image.layers.size()) {
    return fail(Errc::bad_input, where + ": " + std::to_string(image.layers.size()) +
                                     " layers but " + std::to_string(parsed.diff_ids.size()) +
                                     " diff_ids in the config");
  }
  ImagePlan plan{"", std::nullopt, "", config.first, std::move(config.second), {}, selected.second};
  for (size_t i = 0; i < image.layers.size(); ++i) {
    ASSIGN_OR_RETURN(LayerDescriptor layer, make_layer(tar, image.layers[i], parsed.diff_ids[i]));
    plan.layers.push_back(std::move(layer));
  }
  return plan;
}

}  // namespace

Result<ImagePlan> plan_docker_archive(const std::string& file,
                                      const std::optional<std::string>& ref,
                                      const Platform& platform) {
  ASSIGN_OR_RETURN(auto tar, open_archive("docker-archive", file));
  if (!tar->contains("manifest.json") && tar->contains("index.json")) {
    auto files = std::make_shared<const ArchiveLayoutFiles>(tar, "docker-archive:" + file);
    return plan_oci_layout(std::move(files), ref, platform);
  }
  return plan_legacy(std::move(tar), ref);
}

}  // namespace cairn
