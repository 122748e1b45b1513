// Docker's layer store keeps every layer unpacked (overlay2:
// DATA_ROOT/overlay2/<cache-id>/diff) next to a "tar-split" record
// (DATA_ROOT/image/overlay2/layerdb/sha256/<chain-id>/tar-split.json.gz) from
// which the exact bytes of the layer tar it was unpacked from are put
// together again; `docker save` does exactly that. TarSplitReader does it
// too, as a Reader, so a layer can be imported (and its diff_id checked)
// straight from the layer store. cairn writes records of the same format for
// its own layers (layer/tar_split_recorder.h) and rebuilds them with this
// reader, the file contents then coming from the backend (a LayerContents,
// layer/layer_contents.h) instead of a directory.
//
// Record format (after gzip): one JSON object per line, in stream order.
//   {"type":2,"payload":"<base64>","position":N}
//       a segment: raw tar bytes (headers, extension records, padding, the
//       end-of-archive blocks), written out as they are.
//   {"type":1,"name":"<path>","size":S,"payload":"<base64 crc64>","position":N}
//       a file's content: S bytes read from the layer directory at <path>
//       (the member name as the tar had it, "./" or "/" prefixes allowed).
//       "name_raw" (base64) replaces "name" when the name is not UTF-8;
//       "size" is left out when it is 0.
//       S == 0 (directories, links, whiteouts, empty files) reads nothing;
//       the name is then neither checked nor opened.
//       cairn's records add "digest":"sha256:<hex>", the sha256 of the S
//       bytes: the reader checks it at the end of the file's content and
//       fails there (LayerContents::mismatch names the file).
// "position" and the crc64 payload are not used: the caller hashes the whole
// stream and compares it with the layer's diff_id, which covers both.
// Every type-1 line, size 0 or not, counts for the occurrence numbering of
// layer/layer_contents.h.
//
// Errors are Errc::bad_input, naming the record line or the file:
//   - a line that is not such an object, an unknown type, bad base64;
//   - a file name that is empty or, cleaned lexically as docker's unpacker
//     cleaned it ("a/./b/../c" is "a/c"), climbs out of the directory, or
//     leads through a symlink (files are opened with openat2 RESOLVE_BENEATH |
//     RESOLVE_NO_SYMLINKS below the layer directory);
//   - a file that is missing, not a regular file, or whose size is not S
//     (the layer directory changed since it was unpacked).
// Other system errors opening or reading a file keep their errno; errors of
// the records Reader pass through. With a LayerContents, its errors are
// wrapped in the line's context, codes kept.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "layer/layer_contents.h"
#include "util/error.h"
#include "util/reader.h"
#include "util/unique_fd.h"

namespace cairn {

class TarSplitReader final : public Reader {
 public:
  // records: the decompressed record lines; layer_dir: an O_DIRECTORY fd of
  // the unpacked layer; name: for error messages (e.g. the layer's diff_id).
  TarSplitReader(std::unique_ptr<Reader> records, UniqueFd layer_dir, std::string name);
  // The same with file contents from CONTENTS.
  TarSplitReader(std::unique_ptr<Reader> records, std::unique_ptr<LayerContents> contents,
                 std::string name);
  ~TarSplitReader() override;

  // Yields the reassembled tar. File contents are read straight into `buf`.
  Result<size_t> read(std::span<std::byte> buf) override;

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

}  // namespace cairn
