#include "layer/decompress.h"

#include <isa-l/igzip_lib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <string>
#include <vector>

namespace cairn {
namespace {

constexpr size_t k_input_chunk = 128 * 1024;

// The compressed input: a Reader, optionally owned, and one chunk of it.
class Input {
 public:
  Input(std::unique_ptr<Reader> owned, Reader& reader)
      : m_owned(std::move(owned)), m_reader(&reader), m_buf(k_input_chunk) {}

  bool empty() const { return m_pos == m_end; }
  std::span<const std::byte> available() const {
    return std::span(m_buf).subspan(m_pos, m_end - m_pos);
  }
  void consume(size_t n) { m_pos += n; }
  // Reads the next chunk once the current one is used up; false at the end.
  Result<bool> fill() {
    ASSIGN_OR_RETURN(size_t n, m_reader->read(m_buf));
    m_pos = 0;
    m_end = n;
    return n > 0;
  }
  // Appends more input after what is left unconsumed (for a decoder that
  // needs a whole header at once); false at the end.
  Result<bool> fill_more() {
    std::memmove(m_buf.data(), m_buf.data() + m_pos, m_end - m_pos);
    m_end -= m_pos;
    m_pos = 0;
    if (m_end == m_buf.size()) m_buf.resize(m_buf.size() * 2);
    ASSIGN_OR_RETURN(size_t n, m_reader->read(std::span(m_buf).subspan(m_end)));
    m_end += n;
    return n > 0;
  }

 private:
  std::unique_ptr<Reader> m_owned;
  Reader* m_reader;
  std::vector<std::byte> m_buf;
  size_t m_pos = 0;
  size_t m_end = 0;
};

// Members are decoded one after the other; between them the next byte
// decides: 0x1f starts a member, NUL starts padding, anything else is
// garbage. Padding must be NUL up to the end of the input.
//
// Inflate is ISA-L's igzip (Debian libisal): 2-3x faster than zlib, and
// inflate was the largest single cost of importing a gzip layer. It parses
// each member's header and checks its CRC-32 and length trailer itself
// (ISAL_GZIP).
class GzipReader final : public Reader {
 public:
  explicit GzipReader(Input input)
      : m_input(std::move(input)), m_state(std::make_unique<inflate_state>()) {}

  Result<void> init() {
    start_member();
    return {};
  }

  Result<size_t> read(std::span<std::byte> buf) override {
    if (buf.empty()) return 0;
    for (;;) {
      switch (m_state_machine) {
        case State::member: {
          ASSIGN_OR_RETURN(size_t n, inflate_some(buf));
          if (n > 0) return n;
          break;
        }
        case State::between: TRY(after_member()); break;
        case State::padding: TRY(skip_padding()); break;
        case State::done: return 0;
      }
    }
  }

 private:
  enum class State { member, between, padding, done };

  void start_member() {
    isal_inflate_init(m_state.get());
    m_state->crc_flag = ISAL_GZIP;
  }

  Result<size_t> inflate_some(std::span<std::byte> buf) {
    if (m_input.empty() && m_state->tmp_out_valid == 0) {
      ASSIGN_OR_RETURN(bool more, m_input.fill());
      if (!more) return fail(Errc::bad_input, "gzip: unexpected end of stream");
    }
    auto in = m_input.available();
    m_state->next_in = const_cast<std::uint8_t*>(reinterpret_cast<const std::uint8_t*>(in.data()));
    m_state->avail_in = static_cast<std::uint32_t>(std::min<size_t>(in.size(), UINT32_MAX));
    m_state->next_out = reinterpret_cast<std::uint8_t*>(buf.data());
    m_state->avail_out = static_cast<std::uint32_t>(std::min<size_t>(buf.size(), UINT32_MAX));
    std::uint32_t out_before = m_state->avail_out;
    int rc = isal_inflate(m_state.get());
    size_t consumed = in.size() - m_state->avail_in;
    m_input.consume(consumed);
    size_t produced = out_before - m_state->avail_out;
    if (rc != ISAL_DECOMP_OK) return fail(Errc::bad_input, std::string("gzip: ") + describe(rc));
    if (m_state->block_state == ISAL_BLOCK_FINISH) {
      start_member();
      m_state_machine = State::between;
    } else if (consumed == 0 && produced == 0) {
      // igzip parses a member's header only once it has all of it.
      ASSIGN_OR_RETURN(bool more, m_input.fill_more());
      if (!more) return fail(Errc::bad_input, "gzip: unexpected end of stream");
    }
    return produced;
  }

  Result<void> after_member() {
    if (m_input.empty()) {
      ASSIGN_OR_RETURN(bool more, m_input.fill());
      if (!more) {
        m_state_machine = State::done;
        return {};
      }
    }
    auto next = m_input.available().front();
    if (next == std::byte{0x1f}) {
      m_state_machine = State::member;
    } else if (next == std::byte{0}) {
      m_state_machine = State::padding;
    } else {
      return trailing_garbage();
    }
    return {};
  }

  Result<void> skip_padding() {
    for (;;) {
      auto in = m_input.available();
      if (std::any_of(in.begin(), in.end(), [](std::byte b) { return b != std::byte{0}; })) {
        return trailing_garbage();
      }
      m_input.consume(in.size());
      ASSIGN_OR_RETURN(bool more, m_input.fill());
      if (!more) break;
    }
    m_state_machine = State::done;
    return {};
  }

  static std::unexpected<Error> trailing_garbage() {
    return fail(Errc::bad_input,
                "gzip: trailing data after the last member is neither a gzip member nor "
                "zero padding");
  }

  static std::string describe(int rc) {
    switch (rc) {
      case ISAL_INVALID_BLOCK: return "invalid deflate block";
      case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
      case ISAL_INVALID_LOOKBACK: return "invalid distance too far back";
      case ISAL_INVALID_WRAPPER: return "incorrect header";
      case ISAL_UNSUPPORTED_METHOD: return "unknown compression method";
      case ISAL_INCORRECT_CHECKSUM: return "incorrect data check";
      default: return "corrupt data (igzip " + std::to_string(rc) + ")";
    }
  }

  Input m_input;
  std::unique_ptr<inflate_state> m_state;  // tens of KiB: on the heap
  State m_state_machine = State::member;
};

class ZstdReader final : public Reader {
 public:
  explicit ZstdReader(Input input) : m_input(std::move(input)) {}
  ~ZstdReader() override { ZSTD_freeDStream(m_stream); }
  ZstdReader(const ZstdReader&) = delete;
  ZstdReader& operator=(const ZstdReader&) = delete;

  Result<void> init() {
    m_stream = ZSTD_createDStream();
    if (m_stream == nullptr) return fail_errno(ENOMEM, "zstd: ZSTD_createDStream");
    return {};
  }

  // A frame is "open" from its first byte until the decoder reports it
  // complete and flushed; the input may only end while no frame is open.
  Result<size_t> read(std::span<std::byte> buf) override {
    if (buf.empty()) return 0;
    for (;;) {
      auto avail = m_input.available();
      ZSTD_inBuffer in{avail.data(), avail.size(), 0};
      ZSTD_outBuffer out{buf.data(), buf.size(), 0};
      size_t ret = ZSTD_decompressStream(m_stream, &out, &in);
      m_input.consume(in.pos);
      if (ZSTD_isError(ret)) {
        return fail(Errc::bad_input, std::string("zstd: ") + ZSTD_getErrorName(ret));
      }
      if (in.pos > 0 || out.pos > 0) m_frame_open = ret != 0;
      if (out.pos > 0) return out.pos;
      if (!m_input.empty()) continue;
      ASSIGN_OR_RETURN(bool more, m_input.fill());
      if (!more) {
        if (m_frame_open || !m_saw_input) {
          return fail(Errc::bad_input, "zstd: unexpected end of stream");
        }
        return 0;
      }
      m_saw_input = true;
    }
  }

 private:
  Input m_input;
  ZSTD_DStream* m_stream = nullptr;
  bool m_frame_open = false;
  bool m_saw_input = false;
};

class ForwardingReader final : public Reader {
 public:
  explicit ForwardingReader(Reader& inner) : m_inner(inner) {}
  Result<size_t> read(std::span<std::byte> buf) override { return m_inner.read(buf); }

 private:
  Reader& m_inner;
};

// Replays bytes already taken from `inner`, then continues with it.
class PrefixReader final : public Reader {
 public:
  PrefixReader(std::vector<std::byte> prefix, Reader& inner)
      : m_prefix(std::move(prefix)), m_inner(inner) {}
  Result<size_t> read(std::span<std::byte> buf) override {
    if (m_pos == m_prefix.size()) return m_inner.read(buf);
    size_t n = std::min(buf.size(), m_prefix.size() - m_pos);
    std::memcpy(buf.data(), m_prefix.data() + m_pos, n);
    m_pos += n;
    return n;
  }

 private:
  std::vector<std::byte> m_prefix;
  size_t m_pos = 0;
  Reader& m_inner;
};

template <typename Codec>
Result<std::unique_ptr<Reader>> make_codec(Input input) {
  auto codec = std::make_unique<Codec>(std::move(input));
  TRY(codec->init());
  return codec;
}

Result<std::unique_ptr<Reader>> make(std::unique_ptr<Reader> owned, Reader& input,
                                     Compression compression) {
  switch (compression) {
    case Compression::none:
      if (owned) return owned;
      return std::make_unique<ForwardingReader>(input);
    case Compression::gzip: return make_codec<GzipReader>(Input(std::move(owned), input));
    case Compression::zstd: return make_codec<ZstdReader>(Input(std::move(owned), input));
  }
  return fail(Errc::unsupported, "unknown compression");
}

bool starts_with(std::span<const std::byte> head, std::initializer_list<unsigned> magic) {
  if (head.size() < magic.size()) return false;
  return std::equal(magic.begin(), magic.end(), head.begin(),
                    [](unsigned m, std::byte b) { return std::byte(m) == b; });
}

}  // namespace

Result<std::unique_ptr<Reader>> make_decompressor(std::unique_ptr<Reader> input,
                                                  Compression compression) {
  Reader& ref = *input;
  return make(std::move(input), ref, compression);
}

Result<std::unique_ptr<Reader>> make_decompressor(Reader& input, Compression compression) {
  return make(nullptr, input, compression);
}

Compression detect_compression(std::span<const std::byte> head) {
  if (starts_with(head, {0x1f, 0x8b})) return Compression::gzip;
  if (starts_with(head, {0x28, 0xb5, 0x2f, 0xfd})) return Compression::zstd;
  // Skippable frames: 0x184D2A50..0x184D2A5F, little endian.
  if (head.size() >= 4 && (std::to_integer<unsigned>(head[0]) & 0xf0) == 0x50 &&
      starts_with(head.subspan(1), {0x2a, 0x4d, 0x18})) {
    return Compression::zstd;
  }
  return Compression::none;
}

Result<std::unique_ptr<Reader>> make_detecting_decompressor(Reader& input) {
  constexpr size_t k_peek = 6;  // the xz magic is the longest we look for
  std::vector<std::byte> head(k_peek);
  size_t have = 0;
  while (have < k_peek) {
    ASSIGN_OR_RETURN(size_t n, input.read(std::span(head).subspan(have)));
    if (n == 0) break;
    have += n;
  }
  head.resize(have);
  if (starts_with(head, {0xfd, '7', 'z', 'X', 'Z', 0x00})) {
    return fail(Errc::unsupported, "xz-compressed layers are not supported");
  }
  Compression compression = detect_compression(head);
  return make_decompressor(std::make_unique<PrefixReader>(std::move(head), input), compression);
}

}  // namespace cairn
