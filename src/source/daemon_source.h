// Images from a local container engine: `dockerd://IMAGE` runs
// `docker save IMAGE`, `podman://IMAGE` runs `podman [--root DIR]
// [--runroot DIR] save IMAGE`, and the save stream is imported as it arrives
// (store/stream_import.h); nothing is copied to disk but out-of-order layers.
//
// The child inherits the environment, so DOCKER_HOST (and the rest of the
// docker CLI's settings) and CONTAINERS_STORAGE_CONF apply as usual. Its
// stdout is a pipe; its stderr goes to an anonymous memory file and becomes
// part of the error when it exits with a status != 0.
//
// The child's TMPDIR is the run's scratch directory (StreamSource::open):
// `podman save` to a pipe writes each layer to a file in $TMPDIR first (and
// a FIFO in a pipeDir* directory there), and leaves them behind when it is
// killed, which is what happens to it when an import fails early.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "source/image_stream.h"
#include "util/error.h"

namespace cairn {

struct DaemonOptions {
  std::string podman_root;     // --root for podman, if not empty
  std::string podman_runroot;  // --runroot for podman, if not empty
};

// Whether `uri` names a daemon source (dockerd:// or podman://).
bool is_daemon_uri(std::string_view uri);

// The command line a daemon source runs: argv[0] is looked up in PATH.
// Errc::usage for an empty image or another scheme.
Result<std::vector<std::string>> daemon_save_command(std::string_view uri,
                                                     const DaemonOptions& options);

// A StreamSource running that command. Errors of a run (ImageStream::close):
// Errc::not_found when the engine says the image does not exist or the
// program is not installed; otherwise an I/O error; both carry the
// command's stderr.
Result<StreamSource> daemon_stream_source(std::string_view uri, const DaemonOptions& options);

// A StreamSource running an arbitrary command (tests). `uri` names it.
StreamSource command_stream_source(std::string uri, std::vector<std::string> argv);

}  // namespace cairn
