// libFuzzer target: tar-split records (source/tar_split.h,
// layer/tar_split_recorder.h). The first byte picks what the rest is:
//   even: record lines, read back by TarSplitReader with every file's
//         content served as that many 'c' bytes, to the end;
//   odd:  a layer tar, recorded by TarSplitRecorder (fed in pieces whose
//         size the second byte gives) and rebuilt by TarSplitReader from
//         the record, each file's content served from what TarReader read
//         out of the same tar, in order. When the tar reads to its end and
//         the rebuild succeeds, the rebuilt bytes must be the tar exactly.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>

#include "layer/layer_contents.h"
#include "layer/tar_reader.h"
#include "layer/tar_split_recorder.h"
#include "source/tar_split.h"
#include "util/reader.h"
#include "util/writer.h"

namespace {

using cairn::ContentRef;
using cairn::Reader;
using cairn::Result;
using cairn::StringReader;

class StringWriter final : public cairn::Writer {
 public:
  using Writer::write;
  Result<void> write(std::span<const std::byte> bytes) override {
    text.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return {};
  }
  Result<void> finish() override { return {}; }
  std::string text;
};

// A Reader that owns its bytes.
class FilledContents final : public cairn::LayerContents {
 public:
  Result<std::unique_ptr<Reader>> open(const ContentRef& ref) override {
    if (ref.size > (1u << 20)) return cairn::fail(cairn::Errc::bad_input, "too big for the fuzzer");
    return std::unique_ptr<Reader>(std::make_unique<StringReader>(std::string(ref.size, 'c')));
  }
};

// The regular files' contents of a tar, served in the order they were read.
class QueuedContents final : public cairn::LayerContents {
 public:
  explicit QueuedContents(std::deque<std::string> files) : m_files(std::move(files)) {}
  Result<std::unique_ptr<Reader>> open(const ContentRef& ref) override {
    while (!m_files.empty() && m_files.front().size() != ref.size) m_files.pop_front();
    if (m_files.empty()) return cairn::fail(cairn::Errc::not_found, ref.name);
    auto reader = std::make_unique<StringReader>(std::move(m_files.front()));
    m_files.pop_front();
    return std::unique_ptr<Reader>(std::move(reader));
  }

 private:
  std::deque<std::string> m_files;
};

// Every regular file's content, or nullopt if the tar does not read to its end.
std::optional<std::deque<std::string>> file_contents(std::string_view tar) {
  cairn::MemoryReader source(std::as_bytes(std::span(tar)));
  auto reader = cairn::TarReader::open(source);
  if (!reader) return std::nullopt;
  std::deque<std::string> files;
  for (int entries = 0; entries < 10000; ++entries) {
    auto entry = (*reader)->next();
    if (!entry) return std::nullopt;
    if (!*entry) return files;
    if ((*entry)->type != cairn::EntryType::regular) continue;
    if ((*entry)->size > (1u << 20)) return std::nullopt;
    std::string content((*entry)->size, '\0');
    for (;;) {
      auto block = (*reader)->data().next_block();
      if (!block) return std::nullopt;
      if (!*block) break;
      if ((*block)->offset + (*block)->bytes.size() > content.size()) return std::nullopt;
      const auto& bytes = (*block)->bytes;
      std::memcpy(content.data() + (*block)->offset, bytes.data(), bytes.size());
    }
    files.push_back(std::move(content));
  }
  return std::nullopt;
}

std::optional<std::string> rebuild(const std::string& record,
                                   std::unique_ptr<cairn::LayerContents> contents) {
  cairn::TarSplitReader reader(std::make_unique<cairn::MemoryReader>(record), std::move(contents),
                               "fuzz");
  auto bytes = cairn::read_all(reader, size_t{64} << 20);
  if (!bytes) return std::nullopt;
  return *bytes;
}

void round_trip(std::string_view tar, size_t piece) {
  StringWriter record;
  cairn::TarSplitRecorder recorder(record);
  for (size_t at = 0; at < tar.size(); at += piece) {
    auto chunk = tar.substr(at, piece);
    if (!recorder.consume(std::as_bytes(std::span(chunk)))) return;
  }
  if (!recorder.finish()) return;
  auto files = file_contents(tar);
  if (!files) return;
  auto rebuilt = rebuild(record.text, std::make_unique<QueuedContents>(std::move(*files)));
  if (rebuilt && *rebuilt != tar) std::abort();  // an exact record must give the tar back
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  if (size < 2) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  if (data[0] % 2 == 0) {
    (void)rebuild(std::string(rest), std::make_unique<FilledContents>());
  } else {
    round_trip(rest, size_t{1} + data[1] * 4u);
  }
  return 0;
}
