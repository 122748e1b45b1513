// Test images and a real registry (Debian's docker-registry) for the
// registry source tests.
//
// Test image blobs hold arbitrary bytes: the registry source never looks
// inside a layer, it only streams and checks digests, so only media types,
// sizes and digests matter. Configs are real image configs.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "oci/digest.h"
#include "oci/platform.h"
#include "source/registry_auth.h"
#include "util/error.h"

namespace cairn::test {

struct TestBlob {
  std::string media_type;
  std::string data;
  Digest digest;
};

struct TestImage {
  TestBlob manifest;
  TestBlob config;
  std::vector<TestBlob> layers;
  std::vector<Digest> diff_ids;
  Platform platform;
};

enum class ManifestFlavor { oci, docker };

TestBlob make_blob(std::string media_type, std::string data);
// An image with one layer per media type, each `layer_size` bytes derived
// from `seed` (so different seeds give different blobs).
TestImage make_test_image(ManifestFlavor flavor, const std::vector<std::string>& layer_types,
                          const Platform& platform, size_t layer_size, const std::string& seed);
// An OCI index or Docker manifest list of the images, with their platforms.
TestBlob make_test_index(ManifestFlavor flavor, const std::vector<const TestImage*>& images);

// docker-registry serving a temporary directory on 127.0.0.1, optionally
// with htpasswd basic auth for one user. The destructor kills the process
// (by PID) and reaps it.
class DockerRegistry {
 public:
  static constexpr const char* k_binary = "/usr/bin/docker-registry";
  // Why the registry cannot run here, if it cannot.
  static std::optional<std::string> unavailable_reason();
  static Result<std::unique_ptr<DockerRegistry>> start(const std::string& dir,
                                                       const std::optional<Credentials>& user);
  ~DockerRegistry();
  DockerRegistry(const DockerRegistry&) = delete;
  DockerRegistry& operator=(const DockerRegistry&) = delete;

  std::string host() const { return "127.0.0.1:" + std::to_string(m_port); }

  Result<void> push_blob(const std::string& repo, const TestBlob& blob);
  Result<void> push_manifest(const std::string& repo, const std::string& ref, const TestBlob& doc);
  // Config, layers, then the manifest under `tag`.
  Result<void> push_image(const std::string& repo, const std::string& tag, const TestImage& image);

 private:
  DockerRegistry(pid_t pid, int port, std::optional<Credentials> user)
      : m_pid(pid), m_port(port), m_user(std::move(user)) {}
  pid_t m_pid;
  int m_port;
  std::optional<Credentials> m_user;
};

}  // namespace cairn::test
