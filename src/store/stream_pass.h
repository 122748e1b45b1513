// One read of a save stream (store/stream_import.h has the three modes and
// when each is used): the members walked in order, layers ingested into the
// backend's stream build as they come, spooled to disk, or applied from the
// spool once their parent is in; then the image checked against its
// manifest and config, and published. Internal to import_stream.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backend/backend.h"
#include "layer/ingest.h"
#include "source/save_layout.h"
#include "source/save_stream.h"
#include "store/import.h"
#include "store/layer_keeping.h"
#include "store/store.h"
#include "store/stream_import.h"
#include "util/temp_dir.h"

namespace cairn {

enum class StreamMode { direct, any_order, spool };

struct Spooled {
  std::string path;
  Digest blob_digest;
  std::uint64_t size = 0;
  Compression compression = Compression::none;
};

// A layer member seen in the stream: spooled, or else applied straight from it.
struct LayerState {
  std::optional<Spooled> spool;
};

class StreamPass {
 public:
  StreamPass(Store& store, const StreamSource& source, const ImportObserver& observer,
             TempDir spool_dir, std::unique_ptr<StreamBuild> build, bool keep_blobs)
      : m_store(store),
        m_source(source),
        m_observer(observer),
        m_keep_blobs(keep_blobs),
        m_spool_dir(std::move(spool_dir)),
        m_build(std::move(build)),
        m_mode(!m_build               ? StreamMode::spool
               : m_build->any_order() ? StreamMode::any_order
                                      : StreamMode::direct) {}

  Result<void> read(ImageStream& stream);
  StreamMode mode() const { return m_mode; }
  Result<SavedImage> resolve() const { return resolve_saved_image(m_index, m_source.uri); }
  // nullopt: the stream has to be read again in spool mode.
  Result<std::optional<ImportResult>> finish_direct(const SavedImage& image,
                                                    const ImportOptions& options);
  Result<ImportResult> finish_any_order(const SavedImage& image, const ImportOptions& options);
  Result<ImportResult> finish_spooled(const SavedImage& image, const ImportOptions& options);

 private:
  Result<void> walk(Reader& stream);
  Result<void> on_regular(const std::string& name, std::uint64_t size, Reader& data);
  Result<void> on_layer(const std::string& name, std::uint64_t size, Reader& data);
  Result<IngestDigests> ingest(const std::string& name, std::uint64_t size, Reader& data);
  Result<void> apply(const std::string& name, std::uint64_t size, Reader& data);
  Result<void> apply_unordered(const std::string& name, std::uint64_t size, Reader& data);
  Result<void> apply_spooled(const std::string& name);
  Result<void> apply_due_spooled();
  Result<void> spool(const std::string& name, Reader& data);
  std::optional<std::string> parent_hint(const std::string& name) const;
  Result<ImportResult> finish_build(const SavedImage& image, const ImportOptions& options);
  Result<ImportResult> publish(const SavedImage& image, const ImportOptions& options);
  std::string v1_id(const std::string& name) const;

  Store& m_store;
  const StreamSource& m_source;
  const ImportObserver& m_observer;
  bool m_keep_blobs;
  // The records (and blobs) of the layers ingested, named once the image is
  // published: their diff_ids are known only after them.
  std::vector<std::pair<IngestDigests, std::unique_ptr<LayerKeeping>>> m_kept;
  TempDir m_spool_dir;
  std::unique_ptr<StreamBuild> m_build;
  StreamMode m_mode;
  SaveIndex m_index;
  std::map<std::string, LayerState> m_layers;
  std::vector<std::string> m_applied;  // member names, in apply order
  std::vector<IngestDigests> m_digests;
  std::vector<ChainLink> m_chain;
  std::map<std::string, IngestDigests> m_arrived;  // any_order: layer members ingested
  std::string m_last_v1;
  size_t m_spooled = 0;
};

}  // namespace cairn
