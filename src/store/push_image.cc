#include "store/push_image.h"

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "layer/compress.h"
#include "layer/zstd_chunked_writer.h"
#include "store/layer_blobs.h"
#include "store/push_manifest.h"

namespace cairn {
namespace {

// The key of Metadata::pushed_blob: the --compression value.
std::string_view compression_name(const PushOptions& options) {
  switch (options.compression) {
    case Compression::gzip: return "gzip";
    case Compression::zstd: return options.chunked ? "zstd:chunked" : "zstd";
    case Compression::none: break;
  }
  return "none";
}

// The annotations of each layer descriptor of the stored manifest, when
// its layers are the image's blobs (empty maps otherwise).
Result<std::vector<std::map<std::string, std::string>>> stored_annotations(
    Store& store, const ImageRecord& image) {
  std::vector<std::map<std::string, std::string>> out(image.layers.size());
  ASSIGN_OR_RETURN(std::optional<std::string> stored, stored_manifest(store, image));
  if (!stored) return out;
  auto doc = nlohmann::json::parse(*stored, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("layers") || !doc["layers"].is_array() ||
      doc["layers"].size() != image.layers.size()) {
    return out;
  }
  for (size_t i = 0; i < out.size(); ++i) {
    const auto& layer = doc["layers"][i];
    const auto& blob = image.layers[i].blob_digest;
    if (!layer.is_object() || !blob || layer.value("digest", "") != blob->str()) continue;
    auto annotations = layer.find("annotations");
    if (annotations == layer.end() || !annotations->is_object()) continue;
    for (const auto& [key, value] : annotations->items()) {
      if (value.is_string()) out[i][key] = value.get<std::string>();
    }
  }
  return out;
}

// What is known of a layer's blob before it is pushed.
struct LayerJob {
  bool original = false;                 // the store kept the imported blob
  std::optional<PushedLayerBlob> known;  // its digest and size, when known
};

enum class Outcome { uploaded, present, mounted };

struct LayerDone {
  PushedLayer layer;
  Outcome outcome = Outcome::uploaded;
  unsigned resumes = 0;
};

// The repository the image was imported from, when it is another one of
// the destination's registry (a cross-repository mount may then work).
std::optional<std::string> mount_source(const ImageRecord& image,
                                        const RegistryReference& destination) {
  if (!image.source.starts_with("docker://")) return std::nullopt;
  auto source = parse_registry_reference(image.source);
  if (!source || source->domain != destination.domain ||
      source->repository == destination.repository) {
    return std::nullopt;
  }
  return source->repository;
}

class ImagePusher {
 public:
  ImagePusher(Store& store, const ImageRecord& image, const PushOptions& options,
              const ImportObserver& observer, std::shared_ptr<RegistryClient> client,
              std::optional<std::string> mount_from)
      : m_store(store),
        m_image(image),
        m_options(options),
        m_observer(observer),
        m_client(std::move(client)),
        m_mount_from(std::move(mount_from)) {}

  Result<std::vector<LayerJob>> plan() {
    std::vector<LayerJob> jobs;
    ASSIGN_OR_RETURN(auto annotations, stored_annotations(m_store, m_image));
    for (size_t i = 0; i < m_image.layers.size(); ++i) {
      const LayerRecord& layer = m_image.layers[i];
      ASSIGN_OR_RETURN(auto kept, open_kept_blob(m_store, m_image, i));
      LayerJob job{kept.has_value(), std::nullopt};
      if (job.original && layer.blob_digest && layer.blob_size) {
        job.known = PushedLayerBlob{*layer.blob_digest, *layer.blob_size, annotations[i]};
      } else if (!job.original) {
        ASSIGN_OR_RETURN(
            job.known, m_store.metadata().pushed_blob(layer.diff_id, compression_name(m_options)));
      }
      jobs.push_back(std::move(job));
    }
    return jobs;
  }

  // Every layer, max_parallel_fetches at a time; the first error stops the rest.
  Result<std::vector<LayerDone>> push_layers(const std::vector<LayerJob>& jobs) {
    std::vector<std::optional<LayerDone>> done(jobs.size());
    std::atomic<size_t> next{0};
    std::optional<Error> first_error;
    std::mutex error_mutex;
    auto work = [&] {
      BlobPusher pusher(m_client, m_options.chunk_size);
      for (size_t i; (i = next++) < jobs.size();) {
        {
          std::lock_guard lock(error_mutex);
          if (first_error) return;
        }
        auto layer = push_layer(pusher, i, jobs[i]);
        std::lock_guard lock(error_mutex);
        if (!layer && !first_error) first_error = std::move(layer).error();
        if (layer) done[i] = std::move(*layer);
      }
    };
    unsigned count = std::max(1u, std::min<unsigned>(m_options.registry.max_parallel_fetches,
                                                     static_cast<unsigned>(jobs.size())));
    std::vector<std::jthread> workers;
    for (unsigned t = 0; t < count; ++t) workers.emplace_back(work);
    workers.clear();  // joins
    if (first_error) return fail(std::move(*first_error));
    std::vector<LayerDone> layers;
    for (auto& layer : done) layers.push_back(std::move(*layer));
    return layers;
  }

 private:
  // A blob to upload; `chunked` is the reader when it writes zstd:chunked
  // (its annotations are known once it has been read to the end).
  struct OpenBlob {
    std::unique_ptr<Reader> reader;
    const ZstdChunkedWriter* chunked = nullptr;
  };

  Result<OpenBlob> open_blob(size_t index, const LayerJob& job) {
    std::lock_guard lock(m_store_mutex);
    if (job.original) {
      ASSIGN_OR_RETURN(auto kept, open_kept_blob(m_store, m_image, index));
      if (kept) return OpenBlob{std::move(*kept)};
      return fail(Errc::not_found, "kept blob of layer " + std::to_string(index + 1) +
                                       " of image " + m_image.id.str() + ": removed meanwhile");
    }
    ASSIGN_OR_RETURN(std::unique_ptr<Reader> tar, open_layer_tar(m_store, m_image, index));
    if (!m_options.chunked) return OpenBlob{make_compressor(std::move(tar), m_options.compression)};
    auto writer = std::make_unique<ZstdChunkedWriter>(std::move(tar));
    const ZstdChunkedWriter* chunked = writer.get();
    return OpenBlob{std::move(writer), chunked};
  }

  // HEAD, then a mount, when the blob's digest is known: nullopt with `done`
  // set when nothing is left to send; else the session to upload into, if any.
  Result<std::optional<UploadState>> skip_if_there(BlobPusher& pusher, const LayerJob& job,
                                                   LayerDone& done, bool& finished) {
    finished = false;
    if (!job.known) return std::optional<UploadState>();
    done.layer.digest = job.known->digest;
    done.layer.size = job.known->size;
    done.layer.annotations = job.known->annotations;
    ASSIGN_OR_RETURN(bool present, pusher.exists(job.known->digest));
    if (present) {
      done.outcome = Outcome::present;
      finished = true;
      return std::optional<UploadState>();
    }
    if (!job.original || !m_mount_from) return std::optional<UploadState>();
    ASSIGN_OR_RETURN(auto session, pusher.mount(job.known->digest, *m_mount_from));
    if (!session) {
      done.outcome = Outcome::mounted;
      finished = true;
    }
    return session;
  }

  Result<LayerDone> push_layer(BlobPusher& pusher, size_t index, const LayerJob& job) {
    const LayerRecord& record = m_image.layers[index];
    size_t count = m_image.layers.size();
    if (m_observer.layer_started) m_observer.layer_started(index, count, record.diff_id);
    LayerDone done{PushedLayer{record.diff_id,
                               0,
                               record.media_type,
                               job.original,
                               job.original ? compression_of_media_type(record.media_type)
                                            : m_options.compression,
                               {}},
                   Outcome::uploaded, 0};
    unsigned resumes_before = pusher.counts().resumes;
    bool finished = false;
    ASSIGN_OR_RETURN(std::optional<UploadState> session,
                     skip_if_there(pusher, job, done, finished));
    if (!finished) {
      ASSIGN_OR_RETURN(OpenBlob blob, open_blob(index, job));
      std::optional<std::uint64_t> total =
          job.known ? std::optional(job.known->size) : std::nullopt;
      auto progress = [this, index, total](std::uint64_t sent) {
        if (m_observer.layer_progress) m_observer.layer_progress(index, sent, total);
      };
      std::optional<Digest> expected = job.original ? record.blob_digest : std::nullopt;
      ASSIGN_OR_RETURN(PushedBlob pushed,
                       pusher.upload(*blob.reader, expected, std::move(session), progress));
      done.layer.digest = pushed.digest;
      done.layer.size = pushed.size;
      if (blob.chunked) done.layer.annotations = blob.chunked->annotations();
    }
    done.resumes = pusher.counts().resumes - resumes_before;
    if (m_observer.layer_done) m_observer.layer_done(index, done.layer.size);
    return done;
  }

  Store& m_store;
  const ImageRecord& m_image;
  const PushOptions& m_options;
  const ImportObserver& m_observer;
  std::shared_ptr<RegistryClient> m_client;
  std::optional<std::string> m_mount_from;
  std::mutex m_store_mutex;
};

Result<void> push_config(BlobPusher& pusher, const ImageRecord& image, PushResult& result) {
  if (Digest::of(image.config) != image.id) {
    return fail(Errc::corrupt_store,
                "image " + image.id.str() + ": the stored config does not hash to the image id");
  }
  ASSIGN_OR_RETURN(bool present, pusher.exists(image.id));
  if (present) {
    ++result.blobs_present;
    return {};
  }
  MemoryReader config(image.config);
  TRY(pusher.upload(config, image.id, std::nullopt));
  ++result.blobs_uploaded;
  return {};
}

// The stored manifest when every layer is its original blob.
Result<std::optional<std::string>> manifest_as_imported(Store& store, const ImageRecord& image,
                                                        const std::vector<LayerJob>& jobs) {
  for (const LayerJob& job : jobs) {
    if (!job.original) return std::optional<std::string>();
  }
  ASSIGN_OR_RETURN(std::optional<std::string> stored, stored_manifest(store, image));
  if (!stored || !image.manifest_digest || Digest::of(*stored) != *image.manifest_digest) {
    return std::optional<std::string>();
  }
  return stored;
}

void count(const std::vector<LayerDone>& layers, PushResult& result) {
  for (const LayerDone& layer : layers) {
    result.resumes += layer.resumes;
    switch (layer.outcome) {
      case Outcome::uploaded: ++result.blobs_uploaded; break;
      case Outcome::present: ++result.blobs_present; break;
      case Outcome::mounted: ++result.blobs_mounted; break;
    }
  }
}

// Remembers what compressing each layer gave, for the next push's HEAD.
Result<void> remember_compressed(Store& store, const ImageRecord& image, const PushOptions& options,
                                 const std::vector<LayerDone>& layers) {
  for (size_t i = 0; i < layers.size(); ++i) {
    const PushedLayer& layer = layers[i].layer;
    if (layer.original_blob) continue;
    TRY(store.metadata().record_pushed_blob(image.layers[i].diff_id, compression_name(options),
                                            {layer.digest, layer.size, layer.annotations}));
  }
  return {};
}

}  // namespace

Result<PushResult> push_image(Store& store, const ImageRecord& image,
                              const RegistryReference& destination, const PushOptions& options,
                              const ImportObserver& observer) {
  if (destination.digest || destination.tag.empty()) {
    return fail(Errc::usage, "push " + destination.str() +
                                 ": the destination needs a tag, "
                                 "not a digest");
  }
  PushResult result{.manifest_digest = image.id, .destination = destination.str()};
  ASSIGN_OR_RETURN(auto client,
                   RegistryClient::connect(destination, options.registry, RegistryAccess::push));
  ImagePusher pusher(store, image, options, observer, client, mount_source(image, destination));
  ASSIGN_OR_RETURN(std::vector<LayerJob> jobs, pusher.plan());
  BlobPusher main(client, options.chunk_size);
  TRY(push_config(main, image, result));
  ASSIGN_OR_RETURN(std::vector<LayerDone> layers, pusher.push_layers(jobs));
  count(layers, result);
  TRY(remember_compressed(store, image, options, layers));
  ASSIGN_OR_RETURN(std::optional<std::string> stored, manifest_as_imported(store, image, jobs));
  std::string manifest;
  std::string media_type;
  if (stored) {
    manifest = std::move(*stored);
    media_type = stored_manifest_media_type(manifest);
    result.manifest_as_imported = true;
  } else {
    std::vector<PushedLayer> pushed;
    for (LayerDone& layer : layers) pushed.push_back(std::move(layer.layer));
    ManifestFamily family = manifest_family(pushed);
    manifest = build_push_manifest(family, image.id, image.config.size(), pushed);
    media_type = manifest_media_type(family);
  }
  ASSIGN_OR_RETURN(result.manifest_digest,
                   main.put_manifest(destination.tag, media_type, manifest));
  return result;
}

}  // namespace cairn
