#include "cli/registry_flags.h"

#include <algorithm>

namespace cairn::cli {

void add_registry_flags(CLI::App& command, RegistryFlags& flags, TransferDirection direction) {
  bool upload = direction == TransferDirection::upload;
  command.add_flag("--insecure", flags.insecure,
                   "Allow plain HTTP and unverified TLS for every registry");
  command
      .add_option("--insecure-registry", flags.insecure_registries,
                  "Allow plain HTTP for this HOST[:PORT] only (repeatable)")
      ->allow_extra_args(false);
  command
      .add_option("--authfile", flags.authfiles,
                  "Credentials in containers auth.json / docker config.json form (repeatable)")
      ->allow_extra_args(false);
  command
      .add_option("--netrc", flags.netrc_files,
                  "Credentials in netrc form, like enroot's .credentials (repeatable)")
      ->allow_extra_args(false);
  command
      .add_option("--parallel", flags.parallel,
                  upload ? "Layer uploads in flight at once" : "Layer downloads in flight at once")
      ->capture_default_str();
  command
      .add_option("--retries", flags.retries,
                  upload ? "Retries of a transient registry failure (a dropped upload resumes)"
                         : "Retries of a transient registry failure (a dropped download resumes)")
      ->capture_default_str();
}

RegistryOptions registry_options_of(const RegistryFlags& flags) {
  RegistryOptions options;
  options.insecure = flags.insecure;
  options.insecure_registries = flags.insecure_registries;
  for (const std::string& path : flags.authfiles) {
    options.credential_files.push_back({path, CredentialFormat::auth_json});
  }
  for (const std::string& path : flags.netrc_files) {
    options.credential_files.push_back({path, CredentialFormat::netrc});
  }
  options.max_parallel_fetches = std::max(1u, flags.parallel);
  options.retries = flags.retries;
  return options;
}

}  // namespace cairn::cli
