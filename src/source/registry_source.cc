// Planning an image from a registry:
//   reference -> manifest (by tag or digest; digest verified)
//             -> [index: pick the platform's manifest, fetch it by digest]
//             -> config blob (digest verified) -> plan with lazy layer readers.
#include "source/registry_source.h"

#include "oci/manifest.h"
#include "oci/media_types.h"
#include "oci/platform.h"
#include "source/estargz_layer.h"
#include "source/estargz_toc.h"
#include "source/registry_blob.h"
#include "source/registry_client.h"
#include "source/registry_mirrors.h"
#include "source/registry_reference.h"
#include "source/zstd_chunked_layer.h"

namespace cairn {
namespace {

struct Fetched {
  std::string body;
  std::string media_type;  // from Content-Type; may be empty
  Digest digest;
  std::string what;
};

Result<Platform> wanted_platform(const SourceOptions& options) {
  if (!options.platform || options.platform->empty()) return host_platform();
  return parse_platform(*options.platform);
}

Result<void> check_content_digest(std::string_view what, const Digest& want, const Digest& actual) {
  if (want == actual) return {};
  return fail(Errc::digest_mismatch, std::string(what) + ": content has digest " + actual.str() +
                                         ", expected " + want.str());
}

Result<Fetched> fetch_manifest(RegistryClient& client, const std::string& manifest_ref,
                               const std::optional<Digest>& expected) {
  const RegistryReference& ref = client.reference();
  std::string what = "manifest " + ref.domain + "/" + ref.repository +
                     (manifest_ref.starts_with("sha256:") ? "@" : ":") + manifest_ref;
  ASSIGN_OR_RETURN(RegistryClient::Document doc, client.get_manifest(manifest_ref));
  Digest actual = Digest::of(doc.body);
  if (expected) TRY(check_content_digest(what, *expected, actual));
  if (doc.docker_content_digest) {
    auto claimed = Digest::parse(*doc.docker_content_digest);
    if (claimed) TRY(check_content_digest(what + " (Docker-Content-Digest)", *claimed, actual));
  }
  if (media_type::is_schema1(doc.content_type)) {
    return fail(Errc::unsupported, what + ": Docker schema 1 is not supported");
  }
  return Fetched{std::move(doc.body), std::move(doc.content_type), std::move(actual),
                 std::move(what)};
}

Result<DocumentKind> kind_of(const Fetched& doc) {
  if (media_type::is_index(doc.media_type)) return DocumentKind::index;
  if (media_type::is_image_manifest(doc.media_type)) return DocumentKind::manifest;
  return document_kind(doc.body, doc.what);
}

std::string platform_list(const ImageIndex& index) {
  std::string out;
  for (const Descriptor& d : index.manifests) {
    if (!d.platform || !media_type::is_image_manifest(d.media_type)) continue;
    out += (out.empty() ? "" : ", ") + d.platform->str();
  }
  return out.empty() ? "none" : out;
}

Result<const Descriptor*> pick_platform(const ImageIndex& index, const Platform& want,
                                        std::string_view what) {
  const Descriptor* untagged = nullptr;
  size_t images = 0;
  for (const Descriptor& d : index.manifests) {
    if (!media_type::is_image_manifest(d.media_type)) continue;
    ++images;
    if (!d.platform) untagged = &d;
    if (d.platform && platform_matches(want, *d.platform)) return &d;
  }
  if (images == 1 && untagged) return untagged;
  return fail(Errc::not_found, std::string(what) + ": no image for platform " + want.str() +
                                   " (available: " + platform_list(index) + ")");
}

// Resolves an index to the manifest for `want`; a manifest is returned as is.
Result<Fetched> resolve_image(RegistryClient& client, Fetched top, const Platform& want) {
  ASSIGN_OR_RETURN(DocumentKind kind, kind_of(top));
  if (kind == DocumentKind::manifest) return top;
  ASSIGN_OR_RETURN(ImageIndex index, parse_index(top.body, top.what));
  ASSIGN_OR_RETURN(const Descriptor* chosen, pick_platform(index, want, top.what));
  ASSIGN_OR_RETURN(Fetched child, fetch_manifest(client, chosen->digest.str(), chosen->digest));
  ASSIGN_OR_RETURN(DocumentKind child_kind, kind_of(child));
  if (child_kind != DocumentKind::manifest) {
    return fail(Errc::unsupported, child.what + ": nested index");
  }
  return child;
}

Result<std::string> fetch_config(RegistryClient& client, const Descriptor& desc) {
  if (desc.size > k_max_json_document) {
    return fail(Errc::bad_input, "config " + desc.digest.str() + ": larger than " +
                                     std::to_string(k_max_json_document) + " bytes");
  }
  ASSIGN_OR_RETURN(std::string config, client.get_blob(desc.digest, k_max_json_document));
  TRY(check_content_digest("config " + desc.digest.str(), desc.digest, Digest::of(config)));
  return config;
}

// For zstd:chunked layers (source/zstd_chunked_layer.h) and eStargz layers
// of known size (source/estargz_layer.h); annotations that do not parse fail
// the partial pull, not the plan.
std::function<Result<std::optional<PartialTar>>(const LocalContents&)> partial_opener(
    const std::shared_ptr<RegistryClient>& client, const Descriptor& d) {
  std::string what = "layer " + d.digest.str();
  auto layout = parse_chunked_annotations(d.annotations, d.size, what);
  if (!layout || *layout) {
    return [client, digest = d.digest,
            layout](const LocalContents& local) -> Result<std::optional<PartialTar>> {
      if (!layout) return fail(Error(layout.error()));
      return open_chunked_tar(client, digest, **layout, local);
    };
  }
  auto toc_digest = parse_estargz_annotation(d.annotations, what);
  auto compression = media_type::layer_compression(d.media_type);
  bool gzip = compression && *compression == Compression::gzip;
  if ((toc_digest && !*toc_digest) || d.size == 0 || !gzip) return nullptr;
  return [client, digest = d.digest, size = d.size,
          toc_digest](const LocalContents& local) -> Result<std::optional<PartialTar>> {
    if (!toc_digest) return fail(Error(toc_digest.error()));
    return open_estargz_tar(client, digest, size, **toc_digest, local);
  };
}

Result<std::vector<LayerDescriptor>> plan_layers(const std::shared_ptr<RegistryClient>& client,
                                                 const ImageManifest& manifest,
                                                 const ImageConfig& config) {
  std::vector<LayerDescriptor> layers;
  for (size_t i = 0; i < manifest.layers.size(); ++i) {
    const Descriptor& d = manifest.layers[i];
    ASSIGN_OR_RETURN(Compression compression, media_type::layer_compression(d.media_type));
    auto open = [client, digest = d.digest, size = d.size]() -> Result<std::unique_ptr<Reader>> {
      return open_registry_blob(client, digest, size);
    };
    layers.push_back(LayerDescriptor{d.digest, d.media_type, compression, d.size,
                                     config.diff_ids[i], std::move(open),
                                     partial_opener(client, d)});
  }
  return layers;
}

// The plan of REF as ENDPOINT (REF itself, or REF on a mirror) serves it.
Result<ImagePlan> plan_from(const RegistryReference& ref, const RegistryReference& endpoint,
                            bool mirror, const Platform& want, const RegistryOptions& registry) {
  ASSIGN_OR_RETURN(std::shared_ptr<RegistryClient> client,
                   RegistryClient::connect(endpoint, registry));
  ASSIGN_OR_RETURN(Fetched top, fetch_manifest(*client, ref.manifest_reference(), ref.digest));
  ASSIGN_OR_RETURN(Fetched image, resolve_image(*client, std::move(top), want));
  ASSIGN_OR_RETURN(ImageManifest manifest, parse_manifest(image.body, image.what));
  ASSIGN_OR_RETURN(std::string config, fetch_config(*client, manifest.config));
  ASSIGN_OR_RETURN(ImageConfig parsed,
                   parse_config(config, "config " + manifest.config.digest.str()));
  TRY(check_layer_count(manifest, parsed, image.what));
  ASSIGN_OR_RETURN(std::vector<LayerDescriptor> layers, plan_layers(client, manifest, parsed));
  ImagePlan plan{"docker://" + ref.str(),
                 image.digest,
                 std::move(image.body),
                 manifest.config.digest,
                 std::move(config),
                 std::move(layers),
                 ref.str(),
                 {}};
  if (mirror) plan.served_by = endpoint.domain;
  return plan;
}

}  // namespace

Result<ImagePlan> plan_registry_image(std::string_view reference, const SourceOptions& options,
                                      const RegistryOptions& registry) {
  ASSIGN_OR_RETURN(RegistryReference ref, parse_registry_reference(reference));
  ASSIGN_OR_RETURN(Platform want, wanted_platform(options));
  std::vector<RegistryReference> endpoints = registry_endpoints(ref, registry.mirrors);
  std::string tried;  // what each mirror answered
  for (size_t i = 0; i + 1 < endpoints.size(); ++i) {
    auto plan = plan_from(ref, endpoints[i], true, want, registry);
    if (plan) return plan;
    if (plan.error().is(Errc::usage)) return fail(std::move(plan).error());
    tried += (tried.empty() ? "" : "; ") + endpoints[i].domain + ": " + plan.error().message();
  }
  auto plan = plan_from(ref, endpoints.back(), false, want, registry);
  if (!plan && !tried.empty()) {
    return fail(std::move(plan).error().wrap("mirrors failed first (" + tried + "), then"));
  }
  return plan;
}

}  // namespace cairn
