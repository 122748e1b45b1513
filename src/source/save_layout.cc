#include "source/save_layout.h"

#include "oci/manifest.h"
#include "source/docker_manifest.h"
#include "source/tar_index.h"
#include "util/sys.h"

namespace cairn {
namespace {

constexpr int k_max_link_hops = 16;

// "blobs/sha256/<hex>" promises <hex>; so does "<hex>.json" for a config.
std::optional<Digest> promised_digest(const std::string& path) {
  std::string base = sys::basename(path);
  bool blob = path == "blobs/sha256/" + base;
  if (!blob && base.ends_with(".json")) {
    base.resize(base.size() - 5);
  } else if (!blob) {
    return std::nullopt;
  }
  auto digest = Digest::parse("sha256:" + base);
  return digest ? std::optional(*digest) : std::nullopt;
}

Result<const std::string*> document(const SaveIndex& index, const std::string& path,
                                    const std::string& where) {
  ASSIGN_OR_RETURN(std::string member, resolve_member(index, path, where));
  auto it = index.documents.find(member);
  if (it == index.documents.end()) {
    return fail(Errc::bad_input, where + ": " + path + " is missing or not a JSON document");
  }
  return &it->second;
}

Result<SavedImage> read_config(const SaveIndex& index, const std::string& path,
                               const std::string& where, std::vector<Digest>& diff_ids) {
  ASSIGN_OR_RETURN(const std::string* config, document(index, path, where));
  SavedImage image{Digest::of(*config), *config, std::nullopt, "", {}, ""};
  auto promised = promised_digest(path);
  if (promised && *promised != image.config_digest) {
    return fail(Errc::digest_mismatch,
                where + ": config " + path + " has digest " + image.config_digest.str());
  }
  ASSIGN_OR_RETURN(ImageConfig parsed, parse_config(*config, where + ": " + path));
  diff_ids = std::move(parsed.diff_ids);
  return image;
}

Result<SavedImage> resolve_legacy(const SaveIndex& index, const std::string& text,
                                  const std::string& where) {
  ASSIGN_OR_RETURN(auto images, parse_archive_manifest(text, where + ": manifest.json"));
  if (images.size() != 1) return fail(Errc::bad_input, where + ": more than one image");
  const ArchiveImage& entry = images[0];
  std::vector<Digest> diff_ids;
  ASSIGN_OR_RETURN(SavedImage image, read_config(index, entry.config, where, diff_ids));
  if (diff_ids.size() != entry.layers.size()) {
    return fail(Errc::bad_input, where + ": " + std::to_string(entry.layers.size()) +
                                     " layers but " + std::to_string(diff_ids.size()) +
                                     " diff_ids in the config");
  }
  for (size_t i = 0; i < entry.layers.size(); ++i) {
    ASSIGN_OR_RETURN(std::string member, resolve_member(index, entry.layers[i], where));
    auto blob = promised_digest(member);
    image.layers.push_back({std::move(member), blob, diff_ids[i]});
  }
  if (!entry.repo_tags.empty()) image.default_name = entry.repo_tags[0];
  return image;
}

Result<SavedImage> resolve_oci(const SaveIndex& index, const std::string& where) {
  ASSIGN_OR_RETURN(const std::string* text, document(index, "index.json", where));
  ASSIGN_OR_RETURN(ImageIndex oci_index, parse_index(*text, where + ": index.json"));
  if (oci_index.manifests.size() != 1) {
    return fail(Errc::bad_input, where + ": index.json does not list exactly one image");
  }
  const Descriptor& desc = oci_index.manifests[0];
  std::string path = "blobs/sha256/" + std::string(desc.digest.hex());
  ASSIGN_OR_RETURN(const std::string* manifest_text, document(index, path, where));
  if (Digest::of(*manifest_text) != desc.digest) {
    return fail(Errc::digest_mismatch, where + ": manifest " + desc.digest.str() + " mismatch");
  }
  ASSIGN_OR_RETURN(ImageManifest manifest, parse_manifest(*manifest_text, where + ": " + path));
  std::vector<Digest> diff_ids;
  ASSIGN_OR_RETURN(SavedImage image,
                   read_config(index, "blobs/sha256/" + std::string(manifest.config.digest.hex()),
                               where, diff_ids));
  ImageConfig counted{{}, diff_ids};
  TRY(check_layer_count(manifest, counted, where));
  image.manifest_digest = desc.digest;
  image.manifest = *manifest_text;
  for (size_t i = 0; i < manifest.layers.size(); ++i) {
    const Digest& blob = manifest.layers[i].digest;
    ASSIGN_OR_RETURN(std::string member,
                     resolve_member(index, "blobs/sha256/" + std::string(blob.hex()), where));
    image.layers.push_back({std::move(member), blob, diff_ids[i]});
  }
  auto name = desc.annotations.find("org.opencontainers.image.ref.name");
  if (name != desc.annotations.end()) image.default_name = name->second;
  return image;
}

}  // namespace

Result<std::string> resolve_member(const SaveIndex& index, const std::string& path,
                                   const std::string& where) {
  ASSIGN_OR_RETURN(std::string name, normalize_archive_path(path));
  for (int hop = 0; hop <= k_max_link_hops; ++hop) {
    auto it = index.members.find(name);
    if (it == index.members.end()) return fail(Errc::bad_input, where + ": no member " + path);
    const SaveIndex::Member& member = it->second;
    if (member.kind == tar_header::Kind::regular) return name;
    if (member.kind == tar_header::Kind::symlink) {
      std::string dir = sys::dirname(name);
      std::string target = member.link.starts_with('/') || dir == "." || dir.empty()
                               ? member.link
                               : dir + "/" + member.link;
      ASSIGN_OR_RETURN(name, normalize_archive_path(target));
    } else if (member.kind == tar_header::Kind::hardlink) {
      ASSIGN_OR_RETURN(name, normalize_archive_path(member.link));
    } else {
      return fail(Errc::bad_input, where + ": " + path + " is not a file");
    }
  }
  return fail(Errc::bad_input, where + ": " + path + ": too many links");
}

Result<SavedImage> resolve_saved_image(const SaveIndex& index, const std::string& where) {
  if (index.members.contains("manifest.json")) {
    ASSIGN_OR_RETURN(const std::string* text, document(index, "manifest.json", where));
    return resolve_legacy(index, *text, where);
  }
  if (index.members.contains("index.json")) return resolve_oci(index, where);
  if (index.members.empty()) return fail(Errc::bad_input, where + ": empty stream");
  return fail(Errc::bad_input, where + ": neither manifest.json nor index.json in the stream");
}

}  // namespace cairn
