// Importing an image from a save stream (source/image_stream.h): the output
// of `docker save` / `podman save`, read from a pipe as it arrives, with no
// copy of the archive on disk.
//
// The difficulty: the stream names its layers only at its end (manifest.json
// and the config come after the layer data in every save we have seen), and
// its layer order is not the apply order in general. Docker 20.10 tars a
// temporary directory, so members come in lexical order of their names
// ("<v1id>/layer.tar" in random order, a repeated layer as a symlink to the
// first); podman 4 writes "<diffid>.tar" layers in manifest order, a repeated
// layer only once. The protocol (doc/daemon-sources.md):
//
//  1. Direct pass, for backends with streaming builds (Backend::
//     begin_stream_build). Each layer member is fed, as it arrives, through
//     ingest_unverified() into the backend when it is the next one to apply;
//     its diff_id is computed on the way. "Next" is known from the legacy
//     "<v1id>/json" member that precedes each docker layer ("parent" names
//     the layer below) and otherwise assumed to be stream order. A layer
//     that is not next is spooled to ROOT/tmp and applied once its parent
//     has been (the fallback the design allows for out-of-order layers).
//     A build that takes layers in any order (StreamBuild::any_order:
//     composefs) gets every layer member as it arrives instead, named by
//     its diff_id alone; nothing is spooled. Small JSON members are kept in
//     memory.
//  2. At the end of the stream the producer's exit status is checked, the
//     manifest and config are resolved (source/save_layout.h), spooled
//     layers still due are applied, and the applied sequence must equal the
//     manifest's layer order and its diff_ids the config's rootfs.diff_ids.
//     With an any-order build the members ingested are put in the
//     manifest's order here (one named twice is used twice, one not named
//     is discarded by the build) and checked the same way; the ChainIDs
//     are computed from them.
//     Only then does the backend finish and the metadata get written.
//  3. If the guess in 1 turns out wrong (the stream order was not the apply
//     order, or a layer is needed twice but its data was consumed), the
//     staged build is dropped and the stream is read once more in spool mode:
//     every layer goes to ROOT/tmp, then import_image() runs as for a file
//     source. Spool mode is also the path for backends without streaming
//     builds. An any-order build never needs it.
//
// Any failure (a truncated stream, a missing config, a digest mismatch, a
// producer exit status != 0) leaves the store unchanged.
#pragma once

#include "source/image_stream.h"
#include "store/import.h"

namespace cairn {

// Errors: the producer's (Errc::not_found for a missing image), otherwise as
// import_image() and resolve_saved_image().
Result<ImportResult> import_stream(Store& store, const StreamSource& source,
                                   const ImportOptions& options,
                                   const ImportObserver& observer = {});

}  // namespace cairn
