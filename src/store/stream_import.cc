#include "store/stream_import.h"

#include "store/stream_pass.h"
#include "util/sys.h"
#include "util/temp_dir.h"

namespace cairn {
namespace {

Result<std::optional<ImportResult>> run_pass(Store& store, const StreamSource& source,
                                             const ImportOptions& options,
                                             const ImportObserver& observer,
                                             std::unique_ptr<StreamBuild> build) {
  ASSIGN_OR_RETURN(TempDir spool_dir, TempDir::create(store.root() + "/tmp", "stream-"));
  // the producer's, beside the spooled layers (named 0, 1, ...); removed with the pass
  std::string scratch_dir = spool_dir.path() + "/producer";
  TRY(sys::make_dirs(scratch_dir, 0700));
  ASSIGN_OR_RETURN(bool keep_blobs, keeps_blobs(store, options));
  StreamPass pass(store, source, observer, std::move(spool_dir), std::move(build), keep_blobs);
  ASSIGN_OR_RETURN(std::unique_ptr<ImageStream> stream, source.open(scratch_dir));
  TRY(pass.read(*stream));
  ASSIGN_OR_RETURN(SavedImage image, pass.resolve());
  if (image.layers.empty()) return fail(Errc::unsupported, source.uri + ": image has no layers");
  switch (pass.mode()) {
    case StreamMode::direct: return pass.finish_direct(image, options);
    case StreamMode::any_order: return pass.finish_any_order(image, options);
    case StreamMode::spool: break;
  }
  return pass.finish_spooled(image, options);
}

}  // namespace

Result<ImportResult> import_stream(Store& store, const StreamSource& source,
                                   const ImportOptions& options, const ImportObserver& observer) {
  auto build = store.backend().begin_stream_build();
  if (!build && !build.error().is(Errc::unsupported)) return fail(std::move(build).error());
  if (build) {
    ASSIGN_OR_RETURN(std::optional<ImportResult> result,
                     run_pass(store, source, options, observer, std::move(*build)));
    if (result) return *result;
  }
  ASSIGN_OR_RETURN(std::optional<ImportResult> result,
                   run_pass(store, source, options, observer, nullptr));
  return *result;
}

}  // namespace cairn
