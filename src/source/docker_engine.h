// The Docker Engine API of a local daemon, spoken over its unix socket with
// libcurl (source/http.h): the two read-only calls `dockerd://` needs to find
// an image in the daemon's layer store (source/docker_layer_store.h).
//
// Which daemon: the one the docker CLI would talk to, decided the CLI's way
// from DOCKER_HOST, DOCKER_CONTEXT and the CLI's config.json
// ("currentContext"). Only a local unix socket qualifies; a tcp:// or ssh://
// host or a named context is left to the CLI (`docker save`).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/digest.h"
#include "source/http.h"
#include "util/error.h"

namespace cairn {

// What the docker CLI reads from the environment; empty means unset.
struct DockerEnvironment {
  std::string host;        // DOCKER_HOST
  std::string context;     // DOCKER_CONTEXT
  std::string config_dir;  // DOCKER_CONFIG, else $HOME/.docker
};

// The socket path of a local daemon the CLI would use, or nullopt.
std::optional<std::string> local_docker_socket(const DockerEnvironment& env);

struct EngineInfo {
  std::string root_dir;  // DockerRootDir
  std::string driver;    // the graph driver: "overlay2", "vfs", ...
};

struct EngineImage {
  Digest id;                           // the config digest
  std::vector<std::string> repo_tags;  // familiar names ("busybox:latest")
};

class DockerEngine {
 public:
  explicit DockerEngine(std::string socket) : m_socket(std::move(socket)) {}

  // GET /info. A daemon that does not answer fails with HttpFailure's
  // message as an I/O error (errno ECONNREFUSED).
  Result<EngineInfo> info();
  // GET /images/{name}/json. Errc::not_found with the daemon's message for
  // an image it does not have.
  Result<EngineImage> inspect_image(std::string_view name);

 private:
  Result<std::string> get(const std::string& path);

  std::string m_socket;
  HttpSession m_http;
};

}  // namespace cairn
