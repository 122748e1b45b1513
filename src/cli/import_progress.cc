#include "cli/import_progress.h"

#include <unistd.h>

#include <cstdio>

#include "util/progress.h"

namespace cairn::cli {

using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

std::optional<ImportProgress> ImportProgress::for_stderr() {
  if (!::isatty(STDERR_FILENO)) return std::nullopt;
  return std::optional<ImportProgress>(std::in_place);
}

ImportProgress::ImportProgress() : m_start(Clock::now()) {}

ImportProgress::~ImportProgress() {
  end_line();
}

ImportObserver ImportProgress::observer() {
  ImportObserver observer;
  observer.layer_started = [this](size_t index, size_t count, const Digest& diff_id) {
    start(index, count, std::string(diff_id.short_hex()));
  };
  observer.layer_progress = [this](size_t index, std::uint64_t done,
                                   std::optional<std::uint64_t> total) {
    progress(index, done, total);
  };
  observer.layer_done = [this](size_t index, std::uint64_t) { finish(index); };
  return observer;
}

void ImportProgress::start(size_t index, size_t count, std::string id) {
  std::lock_guard lock(m_mutex);
  m_count = count;
  Layer& layer = m_layers[index] =
      Layer{index, count, std::move(id), Clock::now(), 0, std::nullopt};
  draw(layer, false);
}

void ImportProgress::progress(size_t index, std::uint64_t done,
                              std::optional<std::uint64_t> total) {
  std::lock_guard lock(m_mutex);
  auto it =
      m_layers.try_emplace(index, Layer{index, m_count, "", Clock::now(), 0, std::nullopt}).first;
  it->second.done = done;
  it->second.total = total;
  draw(it->second, false);
}

void ImportProgress::finish(size_t index) {
  std::lock_guard lock(m_mutex);
  auto it = m_layers.find(index);
  if (it == m_layers.end()) return;
  m_bytes += it->second.done;
  draw(it->second, true);
  end_line();
  m_layers.erase(it);
}

void ImportProgress::draw(const Layer& layer, bool finished) {
  LayerProgress line{.index = layer.index,
                     .count = layer.count,
                     .id = layer.id,
                     .done = layer.done,
                     .total = layer.total,
                     .seconds = seconds_since(layer.start),
                     .finished = finished};
  std::fprintf(stderr, "\r\033[K%s", format_layer_progress(line).c_str());
  std::fflush(stderr);
  m_line_open = true;
}

void ImportProgress::end_line() {
  if (m_line_open) std::fputc('\n', stderr);
  m_line_open = false;
}

void ImportProgress::note(const std::string& text) {
  std::lock_guard lock(m_mutex);
  std::fprintf(stderr, "%s\n", text.c_str());
}

void ImportProgress::summary(const ImportResult& result) {
  std::lock_guard lock(m_mutex);
  end_line();
  m_layers.clear();
  std::fprintf(stderr, "%s\n",
               format_import_summary(result.layers_ingested, result.layers_reused, m_bytes,
                                     seconds_since(m_start))
                   .c_str());
  for (const LayerTransfer& t : result.transfers) {
    if (!t.partial) continue;
    std::fprintf(stderr,
                 "layer %zu %s: partial pull, %s fetched of %s (%zu files from the store, "
                 "%zu downloaded)\n",
                 t.index + 1, std::string(t.diff_id.short_hex()).c_str(),
                 format_bytes(t.bytes_fetched).c_str(),
                 t.size ? format_bytes(*t.size).c_str() : "?", t.files_local, t.files_fetched);
  }
}

}  // namespace cairn::cli
