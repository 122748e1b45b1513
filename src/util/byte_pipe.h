// A bounded, thread-safe byte pipe between one producer thread and one
// consumer thread. The producer blocks while the pipe is full, the consumer
// while it is empty, so memory stays at `capacity` bytes however much flows
// through. The producer ends the stream with close(), carrying an error if
// it failed; the consumer ends it early with cancel(), which wakes a blocked
// producer and makes every later write() return false.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "util/error.h"

namespace cairn {

class BytePipe {
 public:
  explicit BytePipe(size_t capacity);
  BytePipe(const BytePipe&) = delete;
  BytePipe& operator=(const BytePipe&) = delete;

  // Producer: appends all of data, blocking for space. false once cancelled.
  bool write(std::span<const std::byte> data);
  // Producer: ends the stream. An error is returned by read() once the
  // bytes written before it have been consumed.
  void close(Result<void> status);

  // Consumer: reads up to buf.size() bytes, blocking until at least one is
  // available; 0 at a clean end of stream.
  Result<size_t> read(std::span<std::byte> buf);
  // Consumer: abandons the stream.
  void cancel();
  bool cancelled() const;

 private:
  mutable std::mutex m_mutex;
  std::condition_variable m_readable;
  std::condition_variable m_writable;
  std::vector<std::byte> m_ring;
  size_t m_head = 0;  // next byte to read
  size_t m_size = 0;  // bytes buffered
  bool m_cancelled = false;
  std::optional<Result<void>> m_end;
};

}  // namespace cairn
