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
// Errors: Errc::usage for a malformed reference or failed/required
// authentication ("authentication failed for HOST"), Errc::not_found for an
// unknown repository, tag, digest or platform, Errc::unsupported for schema 1
// manifests and non-image artifacts, Errc::digest_mismatch for content that
// does not match its digest, Errc::bad_input for malformed documents, and
// errno-valued errors (ECONNREFUSED, ECONNRESET, EIO for HTTP 5xx...) for
// transport failures that outlived the retries.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "source/image_plan.h"
#include "source/registry_auth.h"
#include "source/source.h"
#include "util/error.h"

namespace cairn {

enum class DefaultCredentials { use, ignore };

struct RegistryOptions {
  // Allow plain HTTP and unverified TLS for every registry (--insecure).
  // Without it, only the hosts in insecure_registries get that; all others
  // are HTTPS with the system CA store.
  bool insecure = false;
  std::vector<std::string> insecure_registries;  // "host[:port]"
  // Looked up before the standard locations (default_credential_files()).
  std::vector<CredentialFile> credential_files;
  DefaultCredentials default_credentials = DefaultCredentials::use;
  unsigned max_parallel_fetches = 4;
  // Transient failures (connection refused/reset/dropped, timeouts, HTTP 429
  // and 5xx) are retried this many times with exponential backoff starting
  // at retry_backoff; a blob download resumes where it stopped.
  unsigned retries = 5;
  std::chrono::milliseconds retry_backoff{500};
  size_t stream_buffer = 4 << 20;  // per open layer reader
};

// `reference` may carry the "docker://" prefix.
Result<ImagePlan> plan_registry_image(std::string_view reference, const SourceOptions& options,
                                      const RegistryOptions& registry);

}  // namespace cairn
