// cairn-floor: the least any import of an image must do, timed, as the
// floor that bench/import.sh divides cairn's import time by.
//
//   cairn-floor [--jobs N] [--write DIR] URI
//
// For every layer of URI (any source cairn imports, through the same
// plan_image()), exactly the work every backend does before it writes a
// file, with the same code (layer/layer_decoding.h) and the same two
// threads as layer/ingest.h: read the blob, SHA-256 it, decompress it
// (ISA-L for gzip, libzstd), SHA-256 the tar, hand it through a 4 MiB
// BytePipe to the calling thread; then both digests are checked against the manifest and config.
// With --write the calling thread writes the tar's bytes to a file under
// DIR (page cache only: no sync; the file is removed at once), which is the
// cost of putting the layer's bytes on the filesystem at all. --jobs runs
// that many layers at a time (default 1, as cairn imports them).
//
// Output, one "key value" per line: layers, blob_bytes, tar_bytes, seconds.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "layer/layer_decoding.h"
#include "source/source.h"
#include "util/byte_pipe.h"
#include "util/sys.h"

namespace cairn {
namespace {

constexpr size_t k_pipe_capacity = 4 << 20;  // as layer/ingest.cc
constexpr size_t k_buffer = 256 << 10;

struct Totals {
  std::mutex mutex;
  std::uint64_t blob_bytes = 0;
  std::uint64_t tar_bytes = 0;
};

// The decoding thread: blob -> sha256 -> decompress -> sha256 -> PIPE.
Result<void> decode(const LayerDescriptor& layer, BytePipe& pipe, Totals& totals) {
  ASSIGN_OR_RETURN(std::unique_ptr<Reader> raw, layer.open());
  LayerDecoding decoding(*raw);
  TRY(decoding.open(layer.compression));
  std::vector<std::byte> buf(k_buffer);
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, decoding.tar().read(buf));
    if (n == 0) break;
    if (!pipe.write(std::span(buf).first(n))) return fail(Errc::usage, "cancelled");
  }
  TRY(decoding.finish());
  TRY(check_digest("blob digest", layer.blob_digest, decoding.blob_digest()));
  TRY(check_digest("diff_id", layer.diff_id, decoding.diff_id()));
  std::lock_guard lock(totals.mutex);
  totals.blob_bytes += decoding.blob_bytes();
  totals.tar_bytes += decoding.tar_bytes();
  return {};
}

// One layer: decoding on a second thread, the tar consumed (and with DIR
// written to a file there) on this one.
Result<void> floor_layer(const LayerDescriptor& layer, const std::string& dir, Totals& totals) {
  BytePipe pipe(k_pipe_capacity);
  std::thread decoder([&] { pipe.close(decode(layer, pipe, totals)); });
  UniqueFd out;
  if (!dir.empty()) {
    auto fd = sys::open(dir, O_TMPFILE | O_WRONLY, 0600);
    if (!fd) {
      pipe.cancel();
      decoder.join();
      return fail(std::move(fd).error());
    }
    out = std::move(*fd);
  }
  std::vector<std::byte> buf(k_buffer);
  Result<void> status;
  for (;;) {
    auto n = pipe.read(buf);
    if (!n) status = fail(std::move(n).error());
    if (!n || *n == 0) break;
    if (out.get() >= 0) {
      auto written = sys::write_all(out.get(), std::span<const std::byte>(buf).first(*n), dir);
      if (!written) {
        status = written;
        pipe.cancel();
        break;
      }
    }
  }
  decoder.join();
  return status;
}

Result<void> floor_image(const ImagePlan& plan, const std::string& dir, size_t jobs,
                         Totals& totals) {
  std::mutex mutex;
  size_t next = 0;
  Result<void> status;
  auto worker = [&] {
    for (;;) {
      size_t index = 0;
      {
        std::lock_guard lock(mutex);
        if (next == plan.layers.size() || !status) return;
        index = next++;
      }
      Result<void> done = floor_layer(plan.layers[index], dir, totals);
      std::lock_guard lock(mutex);
      if (!done && status) status = done;
    }
  };
  std::vector<std::thread> workers;
  for (size_t i = 0; i < jobs; ++i) workers.emplace_back(worker);
  for (auto& w : workers) w.join();
  return status;
}

int usage() {
  std::fprintf(stderr, "usage: cairn-floor [--jobs N] [--write DIR] URI\n");
  return 2;
}

int run(int argc, char** argv) {
  size_t jobs = 1;
  std::string dir;
  std::string uri;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--jobs" && i + 1 < argc) {
      jobs = std::strtoul(argv[++i], nullptr, 10);
    } else if (arg == "--write" && i + 1 < argc) {
      dir = argv[++i];
    } else if (uri.empty() && !arg.starts_with("-")) {
      uri = arg;
    } else {
      return usage();
    }
  }
  if (uri.empty() || jobs == 0) return usage();
  auto start = std::chrono::steady_clock::now();
  auto plan = plan_image(uri, SourceOptions{});
  if (!plan) {
    std::fprintf(stderr, "cairn-floor: %s\n", plan.error().message().c_str());
    return 1;
  }
  Totals totals;
  Result<void> done = floor_image(*plan, dir, jobs, totals);
  if (!done) {
    std::fprintf(stderr, "cairn-floor: %s\n", done.error().message().c_str());
    return 1;
  }
  std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
  std::printf("layers %zu\nblob_bytes %llu\ntar_bytes %llu\nseconds %.3f\n", plan->layers.size(),
              static_cast<unsigned long long>(totals.blob_bytes),
              static_cast<unsigned long long>(totals.tar_bytes), seconds.count());
  return 0;
}

}  // namespace
}  // namespace cairn

int main(int argc, char** argv) {
  return cairn::run(argc, argv);
}
