#include "backend/cow_chain.h"

#include <algorithm>

namespace cairn {

std::vector<Digest> unneeded_layers(const std::map<Digest, std::optional<Digest>>& layers,
                                    const std::set<Digest>& keep) {
  auto parent_of = [&](const Digest& d) -> const std::optional<Digest>* {
    auto it = layers.find(d);
    return it == layers.end() ? nullptr : &it->second;
  };
  std::set<Digest> needed;
  for (const Digest& top : keep) {
    const Digest* at = &top;
    while (parent_of(*at) != nullptr && needed.insert(*at).second) {
      const std::optional<Digest>* parent = parent_of(*at);
      if (!*parent) break;
      at = &**parent;
    }
  }
  std::vector<std::pair<size_t, Digest>> doomed;  // (depth, layer)
  for (const auto& [layer, parent] : layers) {
    if (needed.contains(layer)) continue;
    size_t depth = 0;
    for (const std::optional<Digest>* p = &parent; *p && depth <= layers.size(); ++depth) {
      p = parent_of(**p);
      if (p == nullptr) break;
    }
    doomed.emplace_back(depth, layer);
  }
  std::stable_sort(doomed.begin(), doomed.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<Digest> order;
  for (auto& [depth, layer] : doomed) order.push_back(std::move(layer));
  return order;
}

Result<std::unique_ptr<CowChainBuild>> CowChainBuild::begin(CowLayers& layers,
                                                            std::span<const ChainLink> chain) {
  if (chain.empty()) return fail(Errc::bad_input, "image has no layers");
  size_t present = 0;
  while (present < chain.size()) {
    ASSIGN_OR_RETURN(bool has, layers.has_layer(chain[present].chain_id));
    if (!has) break;
    ++present;
  }
  auto build = std::make_unique<CowChainBuild>(
      layers, std::vector<ChainLink>(chain.begin(), chain.end()), present);
  build->m_next = present;
  return build;
}

PublishedLayers::~PublishedLayers() {
  for (auto it = m_published.rbegin(); it != m_published.rend(); ++it) m_layers.unpublish(*it);
}

Result<LayerSink*> StagedApply::start(const std::string& tag, const Digest* parent) {
  ASSIGN_OR_RETURN(StagedLayer staged, m_layers.stage(tag, parent));
  m_staged = std::move(staged);
  auto applier = DirApplier::open(m_staged->path);
  if (!applier) {
    drop();
    return fail(std::move(applier).error());
  }
  m_applier = std::move(*applier);
  return m_applier.get();
}

Result<void> StagedApply::publish(const ChainLink& link) {
  m_applier.reset();
  auto published = m_layers.publish(link, *m_staged);
  if (!published) {
    drop();
    return published;
  }
  m_staged.reset();
  return {};
}

void StagedApply::drop() {
  m_applier.reset();
  if (m_staged) m_layers.discard(*m_staged);
  m_staged.reset();
}

Result<LayerSink*> CowChainBuild::begin_layer(size_t index) {
  if (index != m_next || index >= m_chain.size() || m_layer.active()) {
    return fail(Errc::usage, "layer " + std::to_string(index) + " begun out of order");
  }
  const Digest* parent = index == 0 ? nullptr : &m_chain[index - 1].chain_id;
  return m_layer.start(std::string(m_chain[index].chain_id.hex()), parent);
}

Result<void> CowChainBuild::commit_layer(size_t index) {
  if (index != m_next || !m_layer.active()) {
    return fail(Errc::usage, "layer " + std::to_string(index) + " committed out of order");
  }
  TRY(m_layer.publish(m_chain[index]));
  m_published.add(m_chain[index].chain_id);
  ++m_next;
  return {};
}

Result<void> CowChainBuild::finish() {
  if (m_next != m_chain.size()) return fail(Errc::usage, "chain build finished early");
  m_published.keep();
  return {};
}

Result<LayerSink*> CowStreamBuild::begin_layer() {
  if (m_layer.active())
    return fail(Errc::usage, "stream layer begun before the last was committed");
  const Digest* parent = m_committed.empty() ? nullptr : &m_committed.back().chain_id;
  return m_layer.start("stream-" + std::to_string(m_committed.size()), parent);
}

Result<void> CowStreamBuild::commit_layer(const ChainLink& link) {
  if (!m_layer.active()) return fail(Errc::usage, "stream layer committed before it was begun");
  ASSIGN_OR_RETURN(bool held, m_layers.has_layer(link.chain_id));
  if (held) {
    m_layer.drop();
    ++m_already_held;
  } else {
    TRY(m_layer.publish(link));
    m_published.add(link.chain_id);
  }
  m_committed.push_back(link);
  return {};
}

Result<size_t> CowStreamBuild::finish(std::span<const ChainLink> chain) {
  if (m_layer.active() || chain.size() != m_committed.size() ||
      !std::equal(
          chain.begin(), chain.end(), m_committed.begin(),
          [](const ChainLink& a, const ChainLink& b) { return a.chain_id == b.chain_id; })) {
    return fail(Errc::usage, "stream build finished with another chain than it applied");
  }
  m_published.keep();
  return m_already_held;
}

}  // namespace cairn
