// Settings of the registry source (doc/registry.md): TLS policy,
// credential files, parallelism, retries. Kept apart from
// registry_source.h so that option structs elsewhere can embed it.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "source/registry_auth.h"
#include "source/registry_mirrors.h"

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
  // Tried in order before the registry itself (source/registry_mirrors.h).
  std::vector<RegistryMirror> mirrors;
};

}  // namespace cairn
