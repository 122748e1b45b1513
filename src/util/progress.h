// Byte progress of a transfer: a counting Reader that reports at a bounded
// rate, and the text of a terminal progress display.
//
// The reader is the only cost on the ingest path: one add per read and a
// clock read (vDSO, tens of nanoseconds) per read of 128 KiB or more, so a
// report at most every `interval` (100 ms: ~10 updates a second) whatever
// the throughput. A report always follows the last byte (the read that
// returns 0), so the final count is exact.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "util/reader.h"

namespace cairn {

class ProgressReader final : public Reader {
 public:
  using Report = std::function<void(std::uint64_t bytes_done)>;
  static constexpr std::chrono::milliseconds k_interval{100};

  // Reads through `inner`, which must outlive this reader.
  ProgressReader(Reader& inner, Report report, std::chrono::milliseconds interval = k_interval);
  // Owns `inner`.
  ProgressReader(std::unique_ptr<Reader> inner, Report report,
                 std::chrono::milliseconds interval = k_interval);

  Result<size_t> read(std::span<std::byte> buf) override;
  std::uint64_t bytes() const { return m_bytes; }

 private:
  std::unique_ptr<Reader> m_owned;
  Reader& m_inner;
  Report m_report;
  std::chrono::steady_clock::duration m_interval;
  std::chrono::steady_clock::time_point m_next;
  std::uint64_t m_bytes = 0;
};

// "0 B", "999 B", "1.0 kB", "12.3 MB", "1.5 GB": decimal units, one decimal
// from 1 kB on.
std::string format_bytes(std::uint64_t bytes);

// "12.3 MB/s"; "-" when no time has passed.
std::string format_rate(std::uint64_t bytes, double seconds);

// One layer's line: "layer 2/5 0123456789ab  12.3 MB / 40.0 MB  8.1 MB/s"
// while it runs (count 0: "layer 2"; no total: "12.3 MB"; empty id: left
// out); once finished: "layer 2/5 0123456789ab  40.0 MB in 4.9 s  8.1 MB/s".
struct LayerProgress {
  size_t index = 0;  // 0-based
  size_t count = 0;  // 0: unknown
  std::string_view id;
  std::uint64_t done = 0;
  std::optional<std::uint64_t> total;
  double seconds = 0;
  bool finished = false;
};
std::string format_layer_progress(const LayerProgress& layer);

// "4 layers: 3 ingested, 1 reused; 12.3 MB in 2.0 s  6.1 MB/s"
std::string format_import_summary(size_t ingested, size_t reused, std::uint64_t bytes,
                                  double seconds);

}  // namespace cairn
