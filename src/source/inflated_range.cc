#include "source/inflated_range.h"

#include "layer/decompress.h"

namespace cairn {
namespace {

// Remembers whether the reader it wraps failed, so that a decode error can
// be told from an error of the transfer under it.
class WatchedReader final : public Reader {
 public:
  explicit WatchedReader(std::unique_ptr<Reader> inner) : m_inner(std::move(inner)) {}
  Result<size_t> read(std::span<std::byte> buf) override {
    auto n = m_inner->read(buf);
    if (!n) m_failed = true;
    return n;
  }
  bool failed() const { return m_failed; }

 private:
  std::unique_ptr<Reader> m_inner;
  bool m_failed = false;
};

class InflatedReader final : public Reader {
 public:
  InflatedReader(std::unique_ptr<Reader> inflate, const WatchedReader* watch, std::string what)
      : m_inflate(std::move(inflate)), m_watch(watch), m_what(std::move(what)) {}

  Result<size_t> read(std::span<std::byte> buf) override {
    auto n = m_inflate->read(buf);
    if (n || m_watch->failed()) return n;
    return fail(Errc::digest_mismatch,
                m_what + ": does not decompress (" + n.error().message() + ")");
  }

 private:
  std::unique_ptr<Reader> m_inflate;
  const WatchedReader* m_watch;  // owned by m_inflate
  std::string m_what;
};

}  // namespace

Result<std::unique_ptr<Reader>> open_inflated(std::unique_ptr<Reader> compressed,
                                              Compression compression, std::string what) {
  auto watched = std::make_unique<WatchedReader>(std::move(compressed));
  const WatchedReader* watch = watched.get();
  ASSIGN_OR_RETURN(auto inflate, make_decompressor(std::move(watched), compression));
  return std::unique_ptr<Reader>(new InflatedReader(std::move(inflate), watch, std::move(what)));
}

}  // namespace cairn
