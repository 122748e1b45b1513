#include "store/partial_pull.h"

#include <algorithm>

#include "util/progress.h"

namespace cairn {

Result<std::optional<LayerDescriptor>> PartialPulls::rebuilt(const LayerDescriptor& layer,
                                                             size_t index, bool keep_blob,
                                                             const ImportObserver& observer) {
  std::lock_guard lock(m_mutex);
  m_current.reset();
  if (!m_enabled || keep_blob || !layer.open_tar) return std::nullopt;
  if (!m_contents) {
    ASSIGN_OR_RETURN(m_contents, StoreContents::load(m_store));
  }
  ASSIGN_OR_RETURN(std::optional<PartialTar> partial, layer.open_tar(*m_contents));
  if (!partial) return std::nullopt;
  auto tar = std::make_shared<std::unique_ptr<Reader>>(std::move(partial->tar));
  auto fetched = partial->fetched;
  m_current = std::move(partial);
  LayerDescriptor rebuilt{layer.diff_id,     "application/vnd.oci.image.layer.v1.tar",
                          Compression::none, std::nullopt,
                          layer.diff_id,     nullptr};
  rebuilt.open = [tar, fetched, index, &observer,
                  total = layer.size]() -> Result<std::unique_ptr<Reader>> {
    if (!*tar) return fail(Errc::usage, "a rebuilt layer tar is read once");
    if (!observer.layer_progress) return std::move(*tar);
    auto report = [fetched, index, &observer, total](std::uint64_t) {
      observer.layer_progress(index, fetched->load(), total);
    };
    return std::make_unique<ProgressReader>(std::move(*tar), std::move(report));
  };
  return rebuilt;
}

void PartialPulls::ingested(size_t index, const LayerDescriptor& layer, const IngestStats& stats) {
  std::lock_guard lock(m_mutex);
  LayerTransfer t{index, layer.diff_id, layer.size, stats.blob_bytes, false, 0, 0};
  if (m_current) {
    t.bytes_fetched = m_current->fetched->load();
    t.partial = true;
    t.files_local = m_current->files_local;
    t.files_fetched = m_current->files_fetched;
  }
  m_current.reset();
  m_transfers.push_back(std::move(t));
}

std::vector<LayerTransfer> PartialPulls::take_transfers() {
  std::lock_guard lock(m_mutex);
  std::sort(m_transfers.begin(), m_transfers.end(),
            [](const LayerTransfer& a, const LayerTransfer& b) { return a.index < b.index; });
  return std::move(m_transfers);
}

}  // namespace cairn
