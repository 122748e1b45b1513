#include "source/registry_blob.h"

#include <thread>

#include "source/slot_download.h"
#include "util/byte_pipe.h"
#include "util/sha256.h"

namespace cairn {
namespace {

constexpr size_t k_max_error_body = 64 << 10;
constexpr std::uint64_t k_progress_reset = 1 << 20;

// Parses the start of "bytes START-END/TOTAL".
std::optional<std::uint64_t> content_range_start(const std::string& value) {
  if (!value.starts_with("bytes ")) return std::nullopt;
  try {
    size_t used = 0;
    std::uint64_t start = std::stoull(value.substr(6), &used);
    if (used == 0 || value.size() <= 6 + used || value[6 + used] != '-') return std::nullopt;
    return start;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Delivers one attempt's body to the pipe, from the blob offset `offset`.
class BlobSink final : public HttpBodySink {
 public:
  BlobSink(BytePipe& pipe, Sha256& hash, std::uint64_t offset, std::optional<std::uint64_t> size,
           std::string what)
      : m_pipe(pipe), m_hash(hash), m_offset(offset), m_size(size), m_what(std::move(what)) {}

  bool begin(const HttpResponse& response) override {
    if (response.status != 206) {
      m_skip = m_offset;  // the whole blob again
      return true;
    }
    auto start = content_range_start(response.header("content-range").value_or(""));
    if (start != m_offset) {
      m_error = Error(make_error_code(Errc::bad_input),
                      m_what + ": resumed at byte " + std::to_string(m_offset) +
                          " but the server answered Content-Range \"" +
                          response.header("content-range").value_or("") + "\"");
      return false;
    }
    return true;
  }

  bool write(std::span<const std::byte> data) override {
    size_t skip = static_cast<size_t>(std::min<std::uint64_t>(m_skip, data.size()));
    m_skip -= skip;
    data = data.subspan(skip);
    if (data.empty()) return true;
    if (m_size && m_offset + data.size() > *m_size) {
      m_error = Error(
          make_error_code(Errc::bad_input),
          m_what + ": larger than the " + std::to_string(*m_size) + " bytes its descriptor gives");
      return false;
    }
    m_hash.update(data);
    if (!m_pipe.write(data)) {
      m_cancelled = true;
      return false;
    }
    m_offset += data.size();
    m_delivered += data.size();
    return true;
  }

  std::uint64_t offset() const { return m_offset; }
  std::uint64_t delivered() const { return m_delivered; }
  bool cancelled() const { return m_cancelled; }
  const std::optional<Error>& error() const { return m_error; }

 private:
  BytePipe& m_pipe;
  Sha256& m_hash;
  std::uint64_t m_offset;
  std::optional<std::uint64_t> m_size;
  std::string m_what;
  std::uint64_t m_skip = 0;
  std::uint64_t m_delivered = 0;
  bool m_cancelled = false;
  std::optional<Error> m_error;
};

class RegistryBlobReader final : public Reader {
 public:
  RegistryBlobReader(std::shared_ptr<RegistryClient> client, Digest digest,
                     std::optional<std::uint64_t> size)
      : m_client(std::move(client)),
        m_digest(std::move(digest)),
        m_size(size),
        m_what("blob " + m_client->reference().domain + "/" + m_client->reference().repository +
               "@" + m_digest.str()),
        m_download(m_client->slots(), m_client->options().stream_buffer,
                   [this] { return download(); }) {}

  Result<size_t> read(std::span<std::byte> buf) override { return m_download.pipe().read(buf); }

 private:
  Result<void> download();
  Result<void> verify(Sha256& hash, std::uint64_t length) const;
  bool sleep_unless_cancelled(std::chrono::milliseconds delay);

  std::shared_ptr<RegistryClient> m_client;
  Digest m_digest;
  std::optional<std::uint64_t> m_size;
  std::string m_what;
  SlotDownload m_download;  // last: starts once everything above exists
};

Result<void> RegistryBlobReader::download() {
  HttpSession session;
  Sha256 hash;
  std::uint64_t offset = 0;
  unsigned failures = 0;
  for (;;) {
    BlobSink sink(m_download.pipe(), hash, offset, m_size, m_what);
    std::vector<std::string> headers;
    if (offset > 0) headers.push_back("Range: bytes=" + std::to_string(offset) + "-");
    ASSIGN_OR_RETURN(HttpResult r, m_client->exchange(session, m_client->blob_url(m_digest),
                                                      headers, &sink, k_max_error_body));
    offset = sink.offset();
    if (sink.cancelled()) return {};
    if (sink.error()) return fail(Error(*sink.error()));
    bool body_ok =
        r.failure == HttpFailure::none && (r.response.status == 200 || r.response.status == 206);
    if (body_ok && (!m_size || offset == *m_size)) return verify(hash, offset);
    if (!body_ok && !RegistryClient::retryable(r)) return fail(m_client->error_for(r, m_what));
    failures = sink.delivered() >= k_progress_reset ? 1 : failures + 1;
    if (failures > m_client->options().retries) {
      std::string why = body_ok            ? "body ended early"
                        : !r.error.empty() ? r.error
                                           : "HTTP " + std::to_string(r.response.status);
      return fail_errno(EIO, m_what + ": transfer failed at byte " + std::to_string(offset) +
                                 (m_size ? " of " + std::to_string(*m_size) : "") + " after " +
                                 std::to_string(failures) + " attempts: " + why);
    }
    if (!sleep_unless_cancelled(m_client->backoff_delay(failures - 1))) return {};
  }
}

Result<void> RegistryBlobReader::verify(Sha256& hash, std::uint64_t length) const {
  Digest actual = Digest::from_sum(hash.finish());
  if (actual == m_digest) return {};
  return fail(Errc::digest_mismatch, m_what + ": content (" + std::to_string(length) +
                                         " bytes) has digest " + actual.str());
}

bool RegistryBlobReader::sleep_unless_cancelled(std::chrono::milliseconds delay) {
  auto end = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < end) {
    if (m_download.pipe().cancelled()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return !m_download.pipe().cancelled();
}

}  // namespace

std::unique_ptr<Reader> open_registry_blob(std::shared_ptr<RegistryClient> client, Digest digest,
                                           std::optional<std::uint64_t> size) {
  return std::make_unique<RegistryBlobReader>(std::move(client), std::move(digest), size);
}

}  // namespace cairn
