// A Reader that passes another Reader's bytes through unchanged while
// counting them and computing their sha256.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "oci/digest.h"
#include "util/reader.h"
#include "util/sha256.h"

namespace cairn {

class HashingReader final : public Reader {
 public:
  // Reads from `inner`, which must outlive this reader.
  explicit HashingReader(Reader& inner) : m_inner(&inner) {}
  // Owns `inner`.
  explicit HashingReader(std::unique_ptr<Reader> inner)
      : m_owned(std::move(inner)), m_inner(m_owned.get()) {}

  // Errors of the inner reader pass through; bytes of a failed read are not
  // hashed.
  Result<size_t> read(std::span<std::byte> buf) override;

  // Bytes read through this reader so far.
  std::uint64_t bytes() const { return m_bytes; }
  bool at_end() const { return m_at_end; }
  // The sha256 of the whole stream. Only once read() has returned 0
  // (CHECKed); from then on read() returns 0 without reading `inner`.
  Digest digest();

 private:
  std::unique_ptr<Reader> m_owned;
  Reader* m_inner;
  Sha256 m_sha;
  std::uint64_t m_bytes = 0;
  bool m_at_end = false;
  std::optional<Digest> m_digest;
};

}  // namespace cairn
