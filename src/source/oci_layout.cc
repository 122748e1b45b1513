#include "source/oci_layout.h"

#include <nlohmann/json.hpp>

#include "oci/manifest.h"
#include "oci/media_types.h"

namespace cairn {
namespace {

struct Resolved {
  Descriptor descriptor;
  std::string bytes;
  ImageManifest manifest;
};

std::string ref_name(const Descriptor& d) {
  auto it = d.annotations.find(std::string(k_ref_name_annotation));
  return it == d.annotations.end() ? std::string() : it->second;
}

std::string list_tags(const ImageIndex& index) {
  std::string out;
  for (const Descriptor& d : index.manifests) {
    std::string tag = ref_name(d);
    if (tag.empty()) continue;
    out += out.empty() ? "" : ", ";
    out += tag;
  }
  return out.empty() ? "(none)" : out;
}

// Reads a blob named by a descriptor and checks its digest and size.
Result<std::string> read_blob(const LayoutFiles& files, const Descriptor& d,
                              std::string_view what) {
  std::string name = std::string(what) + " " + d.digest.str();
  if (d.size > k_max_json_document) {
    return fail(Errc::bad_input,
                name + ": larger than " + std::to_string(k_max_json_document) + " bytes");
  }
  auto bytes = read_layout_file(files, blob_path(d.digest), k_max_json_document);
  if (!bytes) return fail(std::move(bytes.error()).wrap(name));
  if (Digest::of(*bytes) != d.digest) {
    return fail(Errc::digest_mismatch, name + ": content has digest " + Digest::of(*bytes).str());
  }
  if (bytes->size() != d.size) {
    return fail(Errc::bad_input, name + ": size " + std::to_string(bytes->size()) +
                                     " but the descriptor says " + std::to_string(d.size));
  }
  return bytes;
}

Result<void> check_layout_marker(const LayoutFiles& files) {
  auto text = read_layout_file(files, "oci-layout", 4096);
  if (!text) {
    return fail(std::move(text.error()).wrap(files.describe() + ": not an OCI image layout"));
  }
  auto doc = nlohmann::json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("imageLayoutVersion")) {
    return fail(Errc::bad_input, files.describe() + ": malformed oci-layout file");
  }
  return {};
}

// The index.json entries the user asked for, and the name they go by.
Result<std::vector<Descriptor>> select_entries(const ImageIndex& index,
                                               const std::optional<std::string>& tag,
                                               const std::string& where) {
  std::vector<Descriptor> out;
  for (const Descriptor& d : index.manifests) {
    if (tag ? ref_name(d) == *tag : true) out.push_back(d);
  }
  if (tag && out.empty()) {
    return fail(Errc::not_found,
                where + ": no image tagged \"" + *tag + "\"; tags: " + list_tags(index));
  }
  if (out.empty()) return fail(Errc::not_found, where + ": index.json lists no images");
  bool any_tag = false;
  for (const Descriptor& d : out) any_tag = any_tag || !ref_name(d).empty();
  if (!tag && out.size() > 1 && any_tag) {
    return fail(Errc::usage, where + ": holds several images; pick one of: " + list_tags(index));
  }
  return out;
}

// The entry of a manifest list for the platform.
Result<Descriptor> choose_for_platform(const std::vector<Descriptor>& entries,
                                       const Platform& platform, std::string_view what) {
  if (entries.size() == 1 && !entries[0].platform) return entries[0];
  std::string offered;
  for (const Descriptor& d : entries) {
    if (!d.platform) continue;
    if (platform_matches(platform, *d.platform)) return d;
    offered += offered.empty() ? "" : ", ";
    offered += d.platform->str();
  }
  return fail(Errc::not_found, std::string(what) + ": no image for platform " + platform.str() +
                                   " (offered: " + (offered.empty() ? "none" : offered) + ")");
}

// Follows indexes from a descriptor down to one image manifest.
Result<Resolved> resolve(const LayoutFiles& files, const Descriptor& d, const Platform& platform,
                         int depth) {
  ASSIGN_OR_RETURN(std::string bytes, read_blob(files, d, "manifest"));
  std::string what = "manifest " + d.digest.str();
  ASSIGN_OR_RETURN(DocumentKind kind, document_kind(bytes, what));
  if (kind == DocumentKind::manifest) {
    ASSIGN_OR_RETURN(ImageManifest manifest, parse_manifest(bytes, what));
    return Resolved{d, std::move(bytes), std::move(manifest)};
  }
  if (depth >= k_max_index_depth) return fail(Errc::bad_input, what + ": indexes nested too deep");
  ASSIGN_OR_RETURN(ImageIndex index, parse_index(bytes, "index " + d.digest.str()));
  ASSIGN_OR_RETURN(Descriptor chosen,
                   choose_for_platform(index.manifests, platform, "index " + d.digest.str()));
  return resolve(files, chosen, platform, depth + 1);
}

Result<LayerDescriptor> make_layer(std::shared_ptr<const LayoutFiles> files, const Descriptor& d,
                                   const Digest& diff_id) {
  std::string path = blob_path(d.digest);
  ASSIGN_OR_RETURN(bool present, files->exists(path));
  if (!present) return fail(Errc::not_found, files->describe() + ": missing layer blob " + path);
  ASSIGN_OR_RETURN(Compression compression, media_type::layer_compression(d.media_type));
  LayerDescriptor layer{d.digest, d.media_type, compression, d.size, diff_id, nullptr};
  layer.open = [files = std::move(files), path] { return files->open(path); };
  return layer;
}

}  // namespace

std::string blob_path(const Digest& digest) {
  return "blobs/sha256/" + std::string(digest.hex());
}

Result<std::string> read_layout_file(const LayoutFiles& files, const std::string& path,
                                     size_t max_size) {
  ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader, files.open(path));
  auto bytes = read_all(*reader, max_size);
  if (!bytes) return fail(std::move(bytes.error()).wrap(files.describe() + ": " + path));
  return bytes;
}

Result<ImagePlan> plan_oci_layout(std::shared_ptr<const LayoutFiles> files,
                                  const std::optional<std::string>& tag, const Platform& platform) {
  const std::string where = files->describe();
  TRY(check_layout_marker(*files));
  ASSIGN_OR_RETURN(std::string index_bytes,
                   read_layout_file(*files, "index.json", k_max_json_document));
  ASSIGN_OR_RETURN(ImageIndex index, parse_index(index_bytes, where + ": index.json"));
  ASSIGN_OR_RETURN(std::vector<Descriptor> entries, select_entries(index, tag, where));
  Descriptor entry = entries[0];
  if (entries.size() > 1) {
    ASSIGN_OR_RETURN(entry, choose_for_platform(entries, platform, where + ": index.json"));
  }
  ASSIGN_OR_RETURN(Resolved resolved, resolve(*files, entry, platform, 0));
  ASSIGN_OR_RETURN(std::string config, read_blob(*files, resolved.manifest.config, "config"));
  std::string config_what = "config " + resolved.manifest.config.digest.str();
  ASSIGN_OR_RETURN(ImageConfig image_config, parse_config(config, config_what));
  TRY(check_layer_count(resolved.manifest, image_config,
                        "manifest " + resolved.descriptor.digest.str()));
  ImagePlan plan{"",
                 resolved.descriptor.digest,
                 std::move(resolved.bytes),
                 resolved.manifest.config.digest,
                 std::move(config),
                 {},
                 ref_name(entry)};
  for (size_t i = 0; i < resolved.manifest.layers.size(); ++i) {
    ASSIGN_OR_RETURN(LayerDescriptor layer,
                     make_layer(files, resolved.manifest.layers[i], image_config.diff_ids[i]));
    plan.layers.push_back(std::move(layer));
  }
  return plan;
}

}  // namespace cairn
