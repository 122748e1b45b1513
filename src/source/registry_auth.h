// Registry authentication: where credentials come from and what a registry
// asks for.
//
// Credentials are looked up in a list of files, first match wins (the order
// is documented in doc/registry.md and built by default_credential_files()):
//  - JSON files in the Docker / containers format: {"auths": {KEY: {"auth":
//    base64("user:pass")}}}, KEY being "host[:port]", "https://host/v1/" or a
//    repository prefix "host/namespace" (the longest matching prefix wins);
//  - netrc-style files as enroot writes them: "machine HOST login USER
//    password PASS" (a "default" entry matches any host).
// Docker Hub is known under several names (docker.io, index.docker.io,
// registry-1.docker.io, auth.docker.io); any of them matches it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace cairn {

struct Credentials {
  std::string username;
  std::string password;
};

enum class CredentialFormat { auth_json, netrc };

struct CredentialFile {
  std::string path;
  CredentialFormat format;
};

// The standard locations, in lookup order, from the environment:
// $REGISTRY_AUTH_FILE or $XDG_RUNTIME_DIR/containers/auth.json,
// $DOCKER_CONFIG/config.json or ~/.docker/config.json,
// $ENROOT_CONFIG_PATH/.credentials or ${XDG_CONFIG_HOME:-~/.config}/enroot/.credentials.
std::vector<CredentialFile> default_credential_files();

// Credentials for repository `repository` on registry `domain` (as in the
// reference: "docker.io", "host:port"). Missing files are skipped; a file
// that exists but cannot be parsed is Errc::bad_input naming it. A file the
// credentials come from whose mode lets group or others read it is named in a
// warning (util/warning.h).
Result<std::optional<Credentials>> find_credentials(const std::vector<CredentialFile>& files,
                                                    std::string_view domain,
                                                    std::string_view repository);

// One challenge from a WWW-Authenticate header.
struct AuthChallenge {
  enum class Scheme { basic, bearer };
  Scheme scheme = Scheme::basic;
  std::map<std::string, std::string> params;  // lowercase keys: realm, service, scope
};

// Parses the first challenge of a WWW-Authenticate value; Errc::unsupported
// for schemes other than Basic and Bearer, Errc::bad_input if malformed.
Result<AuthChallenge> parse_auth_challenge(std::string_view header);

// What a client does with a repository: the actions its Bearer tokens ask for.
enum class RegistryAccess { pull, push };

// The scope of a token request for `repository`: the challenge's scope
// (space-separated "repository:NAME:ACTIONS" entries; "" when it named none)
// with the actions `access` needs for `repository` ("pull", or "pull,push")
// added to its entry, or an entry added for it. For pull, a challenge's own
// scope is kept as it is.
std::string token_scope_for(std::string_view challenge_scope, std::string_view repository,
                            RegistryAccess access);

// Standard base64 decoding (padding optional); Errc::bad_input if invalid.
Result<std::string> base64_decode(std::string_view text);
std::string base64_encode(std::string_view data);

}  // namespace cairn
