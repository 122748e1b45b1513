// The registry options import, pull and push share (--insecure,
// --insecure-registry, --authfile, --netrc, --parallel, --retries): declared
// once here, so that the commands spell and document them alike.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "source/registry_options.h"

namespace cairn::cli {

struct RegistryFlags {
  bool insecure = false;
  std::vector<std::string> insecure_registries;
  std::vector<std::string> authfiles;
  std::vector<std::string> netrc_files;
  unsigned parallel = 4;
  unsigned retries = RegistryOptions{}.retries;
};

// Whether the command downloads (import, pull) or uploads (push): only the
// help texts differ.
enum class TransferDirection { download, upload };

void add_registry_flags(CLI::App& command, RegistryFlags& flags, TransferDirection direction);

// The flags as RegistryOptions (credential files first, then the defaults).
RegistryOptions registry_options_of(const RegistryFlags& flags);

}  // namespace cairn::cli
