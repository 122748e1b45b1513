#include "source/registry_ranges.h"

#include <thread>

#include "source/byte_ranges.h"
#include "source/slot_download.h"
#include "util/byte_pipe.h"

namespace cairn {
namespace {

constexpr size_t k_max_error_body = 64 << 10;
// Room for the multipart framing around each part.
constexpr std::uint64_t k_part_overhead = 512;

std::string blob_what(const RegistryClient& client, const Digest& digest) {
  return "blob " + client.reference().domain + "/" + client.reference().repository + "@" +
         digest.str();
}

// Collects a 206 body in memory; cuts off a 200 (Range ignored) at once.
class RangesSink final : public HttpBodySink {
 public:
  RangesSink(std::uint64_t limit, FetchCounter& fetched) : m_limit(limit), m_fetched(fetched) {}

  bool begin(const HttpResponse& response) override {
    m_ignored = response.status == 200;
    return !m_ignored;
  }
  bool write(std::span<const std::byte> data) override {
    m_fetched += data.size();
    if (m_body.size() + data.size() > m_limit) {
      m_too_large = true;
      return false;
    }
    m_body.append(reinterpret_cast<const char*>(data.data()), data.size());
    return true;
  }

  std::uint64_t m_limit;
  FetchCounter& m_fetched;
  std::string m_body;
  bool m_ignored = false;
  bool m_too_large = false;
};

// One request for up to k_ranges_per_request ranges.
Result<std::optional<std::vector<std::string>>> fetch_batch(RegistryClient& client,
                                                            HttpSession& session,
                                                            const Digest& digest,
                                                            std::span<const BlobRange> ranges,
                                                            FetchCounter& fetched) {
  std::string what = blob_what(client, digest);
  std::uint64_t limit = 0;
  for (const BlobRange& r : ranges) limit += r.length + k_part_overhead;
  for (unsigned attempt = 0;; ++attempt) {
    RangesSink sink(limit, fetched);
    ASSIGN_OR_RETURN(HttpResult r,
                     client.exchange(session, client.blob_url(digest), {range_header(ranges)},
                                     &sink, k_max_error_body));
    if (sink.m_ignored) return std::nullopt;
    if (sink.m_too_large) return fail(Errc::bad_input, what + ": range answer larger than asked");
    if (r.failure == HttpFailure::none && r.response.status == 206) {
      ASSIGN_OR_RETURN(std::vector<RangePart> parts,
                       parse_range_parts(r.response.header("content-type").value_or(""),
                                         r.response.header("content-range"), sink.m_body, what));
      ASSIGN_OR_RETURN(std::vector<std::string> out, pick_ranges(parts, ranges, what));
      return out;
    }
    if (!RegistryClient::retryable(r) || attempt >= client.options().retries) {
      return fail(client.error_for(r, what + " (range request)"));
    }
    std::this_thread::sleep_for(client.backoff_delay(attempt));
  }
}

// Delivers one attempt's body to the pipe: the range from `offset` on.
class RangeSink final : public HttpBodySink {
 public:
  RangeSink(BytePipe& pipe, FetchCounter& fetched, BlobRange range, std::uint64_t offset)
      : m_pipe(pipe), m_fetched(fetched), m_range(range), m_offset(offset) {}

  bool begin(const HttpResponse& response) override {
    if (response.status != 206) {
      m_skip = m_offset;  // the whole blob: skip to where we are
      return true;
    }
    auto got = parse_content_range(response.header("content-range").value_or(""));
    if (!got || got->offset != m_offset) {
      m_bad_range = response.header("content-range").value_or("");
      return false;
    }
    return true;
  }

  bool write(std::span<const std::byte> data) override {
    m_fetched += data.size();
    size_t skip = static_cast<size_t>(std::min<std::uint64_t>(m_skip, data.size()));
    m_skip -= skip;
    data = data.subspan(skip);
    data = data.first(static_cast<size_t>(std::min<std::uint64_t>(data.size(), left())));
    if (!data.empty()) {
      if (!m_pipe.write(data)) {
        m_cancelled = true;
        return false;
      }
      m_offset += data.size();
      m_delivered += data.size();
    }
    return left() > 0;  // stop a 200 answer after the range
  }

  std::uint64_t left() const { return m_range.end() - m_offset; }

  BytePipe& m_pipe;
  FetchCounter& m_fetched;
  BlobRange m_range;
  std::uint64_t m_offset;  // the next blob offset to deliver
  std::uint64_t m_skip = 0;
  std::uint64_t m_delivered = 0;
  bool m_cancelled = false;
  std::optional<std::string> m_bad_range;
};

class BlobRangeReader final : public Reader {
 public:
  BlobRangeReader(std::shared_ptr<RegistryClient> client, Digest digest, BlobRange range,
                  std::shared_ptr<FetchCounter> fetched)
      : m_client(std::move(client)),
        m_digest(std::move(digest)),
        m_range(range),
        m_fetched(std::move(fetched)),
        m_what(blob_what(*m_client, m_digest) + " bytes " + std::to_string(range.offset) + "-" +
               std::to_string(range.end() - 1)),
        m_download(m_client->slots(), m_client->options().stream_buffer,
                   [this] { return download(); }) {}

  Result<size_t> read(std::span<std::byte> buf) override { return m_download.pipe().read(buf); }

 private:
  Result<void> download();

  std::shared_ptr<RegistryClient> m_client;
  Digest m_digest;
  BlobRange m_range;
  std::shared_ptr<FetchCounter> m_fetched;
  std::string m_what;
  SlotDownload m_download;  // last: starts once everything above exists
};

Result<void> BlobRangeReader::download() {
  HttpSession session;
  std::uint64_t offset = m_range.offset;
  for (unsigned failures = 0;;) {
    RangeSink sink(m_download.pipe(), *m_fetched, m_range, offset);
    BlobRange rest{offset, m_range.end() - offset};
    std::string header = range_header(std::span(&rest, 1));
    ASSIGN_OR_RETURN(HttpResult r, m_client->exchange(session, m_client->blob_url(m_digest),
                                                      {header}, &sink, k_max_error_body));
    offset = sink.m_offset;
    if (sink.m_cancelled) return {};
    if (sink.m_bad_range) {
      return fail(Errc::bad_input, m_what + ": asked from byte " + std::to_string(offset) +
                                       ", the server answered Content-Range \"" +
                                       *sink.m_bad_range + "\"");
    }
    if (sink.left() == 0) return {};
    bool answered = r.failure == HttpFailure::none || r.failure == HttpFailure::aborted;
    if (answered && r.response.status / 100 != 2 && !RegistryClient::retryable(r)) {
      return fail(m_client->error_for(r, m_what));
    }
    failures = sink.m_delivered > 0 ? 1 : failures + 1;
    if (failures > m_client->options().retries) {
      return fail_errno(EIO, m_what + ": transfer failed at byte " + std::to_string(offset) +
                                 " after " + std::to_string(failures) + " attempts" +
                                 (r.error.empty() ? "" : ": " + r.error));
    }
    std::this_thread::sleep_for(m_client->backoff_delay(failures - 1));
  }
}

}  // namespace

Result<std::optional<std::vector<std::string>>> fetch_blob_ranges(RegistryClient& client,
                                                                  const Digest& digest,
                                                                  std::span<const BlobRange> ranges,
                                                                  FetchCounter& fetched) {
  HttpSession session;
  std::vector<std::string> out;
  for (size_t i = 0; i < ranges.size(); i += k_ranges_per_request) {
    auto batch = ranges.subspan(i, std::min(k_ranges_per_request, ranges.size() - i));
    ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> got,
                     fetch_batch(client, session, digest, batch, fetched));
    if (!got) return std::nullopt;
    for (std::string& bytes : *got) out.push_back(std::move(bytes));
  }
  return out;
}

std::unique_ptr<Reader> open_blob_range(std::shared_ptr<RegistryClient> client, Digest digest,
                                        BlobRange range, std::shared_ptr<FetchCounter> fetched) {
  return std::make_unique<BlobRangeReader>(std::move(client), std::move(digest), range,
                                           std::move(fetched));
}

}  // namespace cairn
