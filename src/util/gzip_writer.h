// A Writer that gzip-compresses (zlib, fastest level: the records it is used
// for are mostly base64 text and are written while a layer ingests) into
// another Writer. finish() ends the gzip stream, then finishes the inner
// writer.
#pragma once

#include <memory>

#include "util/writer.h"

namespace cairn {

class GzipWriter final : public Writer {
 public:
  // Writes into INNER, which must outlive this.
  explicit GzipWriter(Writer& inner);
  ~GzipWriter() override;
  GzipWriter(const GzipWriter&) = delete;
  GzipWriter& operator=(const GzipWriter&) = delete;

  using Writer::write;
  Result<void> write(std::span<const std::byte> bytes) override;
  Result<void> finish() override;

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

}  // namespace cairn
