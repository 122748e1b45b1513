#include "backend/composefs/layer_staging.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "backend/composefs/composefs_backend.h"
#include "util/sys.h"

namespace cairn::composefs {

Result<LayerStaging> LayerStaging::create(ComposefsBackend& backend) {
  ASSIGN_OR_RETURN(TempDir staging, TempDir::create(backend.tmp_dir(), "cfs-build-"));
  return LayerStaging(backend, std::move(staging));
}

Result<LayerSink*> LayerStaging::begin_layer(size_t slot) {
  std::string dir = m_staging.path() + "/layer-" + std::to_string(m_layers++);
  if (::mkdir(dir.c_str(), 0700) != 0) return fail_errno(errno, "mkdir " + dir);
  auto& sink = m_open[slot];
  sink = std::make_unique<IndexSink>(m_backend->objects(), dir);
  return sink.get();
}

void LayerStaging::keep_layer(size_t slot, const Digest& diff_id) {
  auto open = m_open.extract(slot);
  if (open) m_kept.try_emplace(diff_id, std::move(open.mapped()));
}

Result<void> LayerStaging::publish(std::span<const ChainLink> chain) {
  std::erase_if(m_kept, [chain](const auto& kept) {
    return std::none_of(chain.begin(), chain.end(),
                        [&](const ChainLink& link) { return link.diff_id == kept.first; });
  });
  ASSIGN_OR_RETURN(bool present, m_backend->has_image(chain.back().chain_id));
  StagedBuild build;
  if (!present) {
    FreshIndexes fresh;
    for (const auto& [diff_id, sink] : m_kept) fresh.emplace(diff_id, sink->staged_index());
    ASSIGN_OR_RETURN(build, m_backend->stage_images(chain, fresh, m_staging.path()));
  }
  TRY(publish_layers());
  if (present) return {};
  TRY(m_backend->publish_image(std::move(build)));
  TRY(m_backend->resplit_flat_images());
  return {};
}

Result<void> LayerStaging::publish_layers() {
  if (m_kept.empty()) return {};
  TRY(sys::syncfs_path(m_staging.path()));
  for (auto& [diff_id, sink] : m_kept) TRY(sink->publish());
  TRY(sys::syncfs_path(m_staging.path()));
  for (auto& [diff_id, sink] : m_kept) {
    TRY(sys::rename(sink->staged_index(), m_backend->index_path(diff_id)));
  }
  return sys::fsync_path(sys::dirname(m_backend->index_path(m_kept.begin()->first)));
}

}  // namespace cairn::composefs
