// The docker://[HOST[:PORT]/]REPO[:TAG|@DIGEST] source: an image pulled from
// a registry with the OCI distribution API (doc/registry.md).
//
// plan_registry_image() fetches the manifest (resolving an OCI index or
// Docker manifest list to options.platform, or the host platform), the
// config, and returns a plan whose layers stream from the registry when
// opened. Every document is checked against its digest: the manifest when
// pulled by digest (and against Docker-Content-Digest otherwise), every child
// manifest, the config. Layer readers check their blob digest too, at the
// end of the stream.
//
// With mirrors for the reference's registry (RegistryOptions::mirrors,
// source/registry_mirrors.h), each mirror is tried first, in order, for the
// whole plan; the first that gives one serves the image (its layers too, and
// ImagePlan::served_by names it), any failure but a usage error moves on, and
// the registry itself comes last, its error naming what each mirror answered.
//
// Layer readers (LayerDescriptor::open, at most once per layer) download on a
// worker thread into a bounded buffer (RegistryOptions::stream_buffer bytes),
// so several may be open at once and fetch in parallel while the consumer
// reads one; at most max_parallel_fetches transfers run at a time, in the
// order the readers were opened. Consume readers in the order they were
// opened (or keep at most max_parallel_fetches open), or a reader may wait
// for a slot that a reader nobody reads never frees. Destroying a reader
// cancels its transfer. The plan keeps the registry client alive as long as
// any of its open functions or readers exist.
//
// Errors: Errc::usage for a malformed reference, Errc::access_denied for
// failed or required authentication ("authentication failed for HOST"),
// Errc::not_found for an unknown repository, tag, digest or platform,
// Errc::unsupported for schema 1 manifests and non-image artifacts,
// Errc::digest_mismatch for content that does not match its digest,
// Errc::bad_input for malformed documents, and EIO for transport failures
// and HTTP errors that outlived the retries (the message carries curl's
// reason or the HTTP status).
#pragma once

#include <string_view>

#include "oci/image_plan.h"
#include "source/registry_options.h"
#include "source/source.h"
#include "util/error.h"

namespace cairn {

// `reference` may carry the "docker://" prefix.
Result<ImagePlan> plan_registry_image(std::string_view reference, const SourceOptions& options,
                                      const RegistryOptions& registry);

}  // namespace cairn
