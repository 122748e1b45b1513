// The OCI runtime configuration (config.json, runtime-spec 1.0) that
// `cairn run` hands to crun, derived from an image config as podman and
// docker derive it: process args = Entrypoint + (the command given, else
// Cmd); Env from the image, then -e (a name given again replaces it);
// cwd from --workdir, else WorkingDir, else "/"; user from --user, else
// User, looked up in the container's /etc/passwd and /etc/group when it is
// a name. Namespaces: pid, mount, ipc, uts (network: the host's — there is
// no network plumbing here; doc/run.md).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "util/error.h"

namespace cairn::cli {

struct VolumeSpec {
  std::string source;       // absolute host path
  std::string destination;  // absolute path in the container
  bool read_only = false;
};

struct RunSpec {
  std::vector<std::string> command{};  // replaces Cmd when not empty
  std::vector<std::string> env{};      // K=V, after the image's
  std::vector<VolumeSpec> volumes{};
  std::string workdir{};  // empty: the image's
  std::string user{};     // empty: the image's; "uid[:gid]" or "name[:group]"
  bool terminal = false;
  std::string hostname{};
};

// -v SRC:DST[:ro|rw]; SRC is made absolute; Errc::usage if malformed.
Result<VolumeSpec> parse_volume(const std::string& text);

// uid and gid for USER ("", "uid", "uid:gid", "name", "name:group"), names
// from ROOTFS/etc/passwd and ROOTFS/etc/group (Errc::not_found naming the
// user if absent); a uid without a gid takes the passwd entry's gid, else 0.
struct UserIds {
  unsigned uid = 0;
  unsigned gid = 0;
};
Result<UserIds> resolve_user(const std::string& user, const std::string& rootfs);

// IMAGE_CONFIG: the image config document (its "config" object is used).
// Errc::usage when there is nothing to run (no Entrypoint, Cmd or command).
Result<nlohmann::json> runtime_config(const nlohmann::json& image_config, const RunSpec& run,
                                      const UserIds& user, const std::string& rootfs);

// The image's StopSignal as a number (SIGTERM when unset or unknown).
int stop_signal(const nlohmann::json& image_config);

}  // namespace cairn::cli
