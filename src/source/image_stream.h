// A source that yields an image as one sequential tar stream in `docker
// save` form, like `docker save IMAGE` run against a daemon: layers may come
// before the manifest and config that name them. Imported by
// store/stream_import.h; see doc/daemon-sources.md.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "util/error.h"
#include "util/reader.h"

namespace cairn {

enum class StreamEnd { complete, early };

// One run of the producer (a child process, or bytes in memory in tests).
class ImageStream {
 public:
  virtual ~ImageStream() = default;
  virtual Reader& reader() = 0;
  // Ends the run and returns the producer's verdict: its failure (a daemon
  // or image that does not exist, an exit status != 0) with the producer's
  // own message. With StreamEnd::early the reader was abandoned before its
  // end; a producer that dies of the closed pipe is then not a failure.
  virtual Result<void> close(StreamEnd end) = 0;
};

struct StreamSource {
  std::string uri;
  // Starts a run. May be called a second time when a stream has to be
  // re-read (store/stream_import.h). SCRATCH_DIR is a directory of the
  // store's, private to the import, that the importer removes with all it
  // holds when the run's pass ends, failed or not: the producer keeps its
  // temporary files there (a child process gets it as TMPDIR).
  std::function<Result<std::unique_ptr<ImageStream>>(const std::string& scratch_dir)> open;
};

}  // namespace cairn
