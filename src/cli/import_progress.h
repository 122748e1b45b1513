// The terminal progress display of `cairn import`: one line per layer on
// stderr, redrawn in place (at most ~10 times a second, util/progress.h)
// while the layer is read, kept with its size, time and rate when it is
// done, then a summary line. Layers read at once (composefs) share the line
// in place, each drawing its own progress; a layer's finished line stays. Only for a terminal: on
// anything else import prints nothing to stderr but errors.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "store/import.h"

namespace cairn::cli {

class ImportProgress {
 public:
  // nullopt unless stderr is a terminal.
  static std::optional<ImportProgress> for_stderr();

  ImportProgress();
  ImportProgress(const ImportProgress&) = delete;
  ImportProgress& operator=(const ImportProgress&) = delete;
  ~ImportProgress();  // ends a layer line left open by a failure

  // Callbacks that draw on this display; it must outlive the import.
  ImportObserver observer();
  // A line of its own before the layers, e.g. why a faster path was not taken.
  void note(const std::string& text);
  void summary(const ImportResult& result);

 private:
  struct Layer {
    size_t index = 0;
    size_t count = 0;
    std::string id;
    std::chrono::steady_clock::time_point start;
    std::uint64_t done = 0;
    std::optional<std::uint64_t> total;
  };

  void start(size_t index, size_t count, std::string id);
  void progress(size_t index, std::uint64_t done, std::optional<std::uint64_t> total);
  void finish(size_t index);
  void draw(const Layer& layer, bool finished);
  void end_line();

  std::mutex m_mutex;
  std::chrono::steady_clock::time_point m_start;
  std::map<size_t, Layer> m_layers;  // started, not finished
  bool m_line_open = false;          // a progress line waits for its newline
  size_t m_count = 0;
  std::uint64_t m_bytes = 0;
};

}  // namespace cairn::cli
