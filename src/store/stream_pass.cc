#include "store/stream_pass.h"

#include <fcntl.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>

#include "layer/decompress.h"
#include "layer/hashing_reader.h"
#include "layer/import_limits.h"
#include "layer/ingest.h"
#include "oci/chain_id.h"
#include "oci/manifest.h"
#include "oci/media_types.h"
#include "source/save_layout.h"
#include "source/save_stream.h"
#include "store/layer_keeping.h"
#include "store/seal.h"
#include "util/progress.h"
#include "util/sys.h"
#include "util/temp_dir.h"

namespace cairn {
namespace {

std::string media_type_of(Compression compression) {
  switch (compression) {
    case Compression::gzip: return std::string(media_type::k_oci_layer_gzip);
    case Compression::zstd: return std::string(media_type::k_oci_layer_zstd);
    case Compression::none: break;
  }
  return std::string(media_type::k_oci_layer);
}

bool looks_like_json(std::string_view data) {
  size_t first = data.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && (data[first] == '{' || data[first] == '[');
}

}  // namespace

Result<void> StreamPass::read(ImageStream& stream) {
  auto walked = walk(stream.reader());
  if (!walked) {
    // The producer's failure (say, a daemon that died) explains a bad stream best.
    TRY(stream.close(StreamEnd::early));
    return walked;
  }
  return stream.close(StreamEnd::complete);
}

Result<void> StreamPass::walk(Reader& stream) {
  SaveStreamWalker walker(stream, m_source.uri);
  for (;;) {
    ASSIGN_OR_RETURN(std::optional<StreamMember> member, walker.next());
    if (!member) {
      // Zero blocks and padding follow the end marker; the producer must not
      // die of a closed pipe while writing them.
      TRY(drain(stream));
      return {};
    }
    m_index.members[member->name] = {member->kind, member->link};
    if (member->kind == tar_header::Kind::regular) {
      TRY(on_regular(member->name, member->size, walker.data()));
    }
  }
}

// Layers: "*.tar" members, and blobs that are not JSON. Other small members
// are kept as documents.
Result<void> StreamPass::on_regular(const std::string& name, std::uint64_t size, Reader& data) {
  if (name.ends_with(".tar")) return on_layer(name, size, data);
  bool blob = name.starts_with("blobs/");
  if (size > k_max_json_document) return blob ? on_layer(name, size, data) : Result<void>{};
  ASSIGN_OR_RETURN(std::string bytes, read_all(data, k_max_json_document));
  if (blob && !looks_like_json(bytes)) {
    MemoryReader memory(bytes);
    return on_layer(name, size, memory);
  }
  m_index.documents[name] = std::move(bytes);
  return {};
}

// The parent a legacy "<v1id>/json" member names: "" for a base layer,
// nullopt when there is no such member.
std::optional<std::string> StreamPass::parent_hint(const std::string& name) const {
  if (!name.ends_with("/layer.tar")) return std::nullopt;
  auto doc = m_index.documents.find(sys::dirname(name) + "/json");
  if (doc == m_index.documents.end()) return std::nullopt;
  auto json = nlohmann::json::parse(doc->second, nullptr, false);
  if (!json.is_object()) return std::nullopt;
  auto parent = json.find("parent");
  return parent != json.end() && parent->is_string() ? parent->get<std::string>() : "";
}

std::string StreamPass::v1_id(const std::string& name) const {
  return parent_hint(name) ? sys::dirname(name) : "";
}

Result<void> StreamPass::on_layer(const std::string& name, std::uint64_t size, Reader& data) {
  if (m_mode == StreamMode::any_order) return apply_unordered(name, size, data);
  std::optional<std::string> parent = parent_hint(name);
  bool in_turn = m_mode == StreamMode::direct && (!parent || *parent == m_last_v1);
  if (!in_turn) return spool(name, data);
  m_layers.try_emplace(name);
  TRY(apply(name, size, data));
  return apply_due_spooled();
}

// Feeds the member into the build's next layer; index: its place in the
// observer's reports.
Result<IngestDigests> StreamPass::ingest(const std::string& name, std::uint64_t size,
                                         Reader& data) {
  size_t index = m_applied.size() + m_arrived.size();
  if (auto bounded = check_image_layers(index + 1, m_store.limits()); !bounded) {
    return fail(std::move(bounded).error().wrap(m_source.uri));
  }
  ASSIGN_OR_RETURN(LayerSink * sink, m_build->begin_layer());
  ProgressReader::Report report;
  if (m_observer.layer_progress) {
    report = [this, index, size](std::uint64_t done) {
      m_observer.layer_progress(index, done, size);
    };
  }
  ProgressReader watched(data, std::move(report));
  ASSIGN_OR_RETURN(
      auto keeping,
      LayerKeeping::start(m_store.root(), KeepWhat{.record = true, .blob = m_keep_blobs}));
  LimitedSink limited(*sink, m_store.limits());
  auto digests = ingest_unverified(watched, limited, keeping->taps());
  if (!digests) {
    return fail(std::move(digests).error().wrap(m_source.uri + ": layer " + name));
  }
  TRY(keeping->seal());
  m_kept.emplace_back(*digests, std::move(keeping));
  return *digests;
}

Result<void> StreamPass::apply(const std::string& name, std::uint64_t size, Reader& data) {
  size_t index = m_applied.size();
  ASSIGN_OR_RETURN(IngestDigests digests, ingest(name, size, data));
  Digest chain =
      m_chain.empty() ? digests.diff_id : chain_id(m_chain.back().chain_id, digests.diff_id);
  ChainLink link{digests.diff_id, chain};
  TRY(m_build->commit_layer(link));
  m_chain.push_back(link);
  m_applied.push_back(name);
  m_digests.push_back(digests);
  m_last_v1 = v1_id(name);
  if (m_observer.layer_done) m_observer.layer_done(index, digests.stats.tar_bytes);
  return {};
}

Result<void> StreamPass::apply_unordered(const std::string& name, std::uint64_t size,
                                         Reader& data) {
  size_t index = m_arrived.size();
  ASSIGN_OR_RETURN(IngestDigests digests, ingest(name, size, data));
  TRY(m_build->commit_unordered(digests.diff_id));
  m_arrived.insert_or_assign(name, digests);
  if (m_observer.layer_done) m_observer.layer_done(index, digests.stats.tar_bytes);
  return {};
}

Result<void> StreamPass::apply_spooled(const std::string& name) {
  const Spooled& spooled = *m_layers.at(name).spool;
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open(spooled.path, O_RDONLY));
  FdReader reader(std::move(fd), spooled.path);
  return apply(name, spooled.size, reader);
}

// Spooled layers whose parent has just been applied are due now.
Result<void> StreamPass::apply_due_spooled() {
  for (bool progress = true; progress;) {
    progress = false;
    for (const auto& [name, state] : m_layers) {
      std::optional<std::string> parent = parent_hint(name);
      bool due = state.spool && parent && *parent == m_last_v1 && !m_last_v1.empty() &&
                 std::find(m_applied.begin(), m_applied.end(), name) == m_applied.end();
      if (!due) continue;
      TRY(apply_spooled(name));
      progress = true;
      break;
    }
  }
  return {};
}

Result<void> StreamPass::spool(const std::string& name, Reader& data) {
  std::string path = m_spool_dir.path() + "/" + std::to_string(m_spooled++);
  ASSIGN_OR_RETURN(UniqueFd fd, sys::open(path, O_WRONLY | O_CREAT | O_EXCL, 0600));
  HashingReader hashing(data);
  std::array<std::byte, 1 << 17> buf;
  Compression compression = Compression::none;
  for (bool first = true;; first = false) {
    ASSIGN_OR_RETURN(size_t n, hashing.read(buf));
    if (n == 0) break;
    if (first) compression = detect_compression(std::span(buf).first(n));
    TRY(sys::write_all(fd.get(), std::span(buf).first(n), path));
  }
  m_layers[name].spool = Spooled{path, hashing.digest(), hashing.bytes(), compression};
  return {};
}

Result<std::optional<ImportResult>> StreamPass::finish_direct(const SavedImage& image,
                                                              const ImportOptions& options) {
  if (m_applied.size() > image.layers.size()) return std::nullopt;
  for (size_t i = 0; i < image.layers.size(); ++i) {
    const std::string& member = image.layers[i].member;
    if (i < m_applied.size()) {
      if (m_applied[i] != member) return std::nullopt;
      continue;
    }
    auto state = m_layers.find(member);
    if (state == m_layers.end()) {
      return fail(Errc::bad_input, m_source.uri + ": layer " + member + " is not in the stream");
    }
    if (!state->second.spool) return std::nullopt;
    TRY(apply_spooled(member));
  }
  return finish_build(image, options);
}

// Layers in stream order, put in the manifest's order here (a member the
// manifest names twice counts twice; one it does not name is left out).
Result<ImportResult> StreamPass::finish_any_order(const SavedImage& image,
                                                  const ImportOptions& options) {
  for (const SavedLayer& layer : image.layers) {
    auto arrived = m_arrived.find(layer.member);
    if (arrived == m_arrived.end()) {
      return fail(Errc::bad_input,
                  m_source.uri + ": layer " + layer.member + " is not in the stream");
    }
    const Digest& diff_id = arrived->second.diff_id;
    Digest chain = m_chain.empty() ? diff_id : chain_id(m_chain.back().chain_id, diff_id);
    m_chain.push_back({diff_id, chain});
    m_digests.push_back(arrived->second);
  }
  return finish_build(image, options);
}

// m_chain and m_digests hold the image's layers in apply order: checked
// against the manifest and config, then published.
Result<ImportResult> StreamPass::finish_build(const SavedImage& image,
                                              const ImportOptions& options) {
  for (size_t i = 0; i < image.layers.size(); ++i) {
    std::string what = m_source.uri + ": layer " + std::to_string(i + 1) + " diff_id";
    TRY(check_digest(what, image.layers[i].diff_id, m_digests[i].diff_id));
    if (image.layers[i].blob_digest) {
      TRY(check_digest(m_source.uri + ": layer " + std::to_string(i + 1) + " blob digest",
                       *image.layers[i].blob_digest, m_digests[i].blob_digest));
    }
  }
  auto published = publish(image, options);
  if (!published) return std::unexpected(m_store.undo_import(published.error()));
  return published;
}

// Publishes the checked image: the build, the layers' records and blobs, the
// metadata row last (finish_build undoes all of it if a step fails).
Result<ImportResult> StreamPass::publish(const SavedImage& image, const ImportOptions& options) {
  ASSIGN_OR_RETURN(size_t reused, m_build->finish(m_chain));
  for (auto& [digests, keeping] : m_kept) {
    bool used = std::any_of(m_chain.begin(), m_chain.end(),
                            [&](const ChainLink& link) { return link.diff_id == digests.diff_id; });
    if (used) TRY(keeping->publish(digests.diff_id, digests.blob_digest));
  }
  ImageRecord record{.id = image.config_digest,
                     .manifest_digest = image.manifest_digest,
                     .source = m_source.uri,
                     .config = image.config,
                     .top_chain = m_chain.back().chain_id,
                     .created = static_cast<std::int64_t>(std::time(nullptr)),
                     .names = {},
                     .layers = {}};
  for (size_t i = 0; i < m_chain.size(); ++i) {
    const IngestDigests& d = m_digests[i];
    record.layers.push_back(LayerRecord{d.diff_id, m_chain[i].chain_id, d.blob_digest,
                                        media_type_of(d.compression), d.stats.blob_bytes, 0});
    if (reused == 0) TRY(m_store.metadata().record_layer(d.diff_id, d.stats.tar_bytes));
  }
  ImportResult result{.image_id = image.config_digest,
                      .name = options.name,
                      .layers_ingested = m_chain.size() - reused,
                      .layers_reused = reused};
  if (!result.name && !image.default_name.empty()) result.name = image.default_name;
  // a sealed image is checked once published, before the metadata names it
  TRY(check_seal(m_store.backend(), record.config, record.top_chain));
  TRY(m_store.metadata().put_image(record, result.name, image.manifest));
  return result;
}

Result<ImportResult> StreamPass::finish_spooled(const SavedImage& image,
                                                const ImportOptions& options) {
  ImagePlan plan{m_source.uri,        image.manifest_digest, image.manifest,
                 image.config_digest, image.config,          {},
                 image.default_name};
  for (const SavedLayer& layer : image.layers) {
    auto state = m_layers.find(layer.member);
    if (state == m_layers.end() || !state->second.spool) {
      return fail(Errc::bad_input,
                  m_source.uri + ": layer " + layer.member + " is not in the stream");
    }
    const Spooled& spooled = *state->second.spool;
    if (layer.blob_digest) {
      TRY(check_digest(m_source.uri + ": layer " + layer.member + " blob digest",
                       *layer.blob_digest, spooled.blob_digest));
    }
    LayerDescriptor desc{spooled.blob_digest, media_type_of(spooled.compression),
                         spooled.compression, spooled.size,
                         layer.diff_id,       nullptr};
    desc.open = [path = spooled.path]() -> Result<std::unique_ptr<Reader>> {
      ASSIGN_OR_RETURN(UniqueFd fd, sys::open(path, O_RDONLY));
      return std::make_unique<FdReader>(std::move(fd), path);
    };
    plan.layers.push_back(std::move(desc));
  }
  ImportOptions spooled_options = options;
  spooled_options.keep_blobs = m_keep_blobs;
  return import_image(m_store, plan, spooled_options, m_observer);
}

}  // namespace cairn
