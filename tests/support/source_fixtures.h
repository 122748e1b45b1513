// Builders for image sources in tests: tar bytes, OCI image layouts and
// `docker save` archives, all built in memory and written to temp dirs.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "oci/digest.h"
#include "oci/image_plan.h"
#include "util/error.h"

namespace cairn::testing {

// One ustar header block (mode 0755 for directories, else 0644; owner 0;
// mtime 0) with a correct checksum; `name` and `link` up to 100 bytes.
std::string ustar_header(const std::string& name, char type, std::uint64_t size,
                         const std::string& link = "");

// A tar archive built in memory (ustar headers; pax 'x' for long names).
class TarFixture {
 public:
  void file(const std::string& name, std::string_view data);
  void dir(const std::string& name);
  void symlink(const std::string& name, const std::string& target);
  void hardlink(const std::string& name, const std::string& target);
  // A header of any type whose size field says `declared_size`, followed by
  // `data` padded to a block (a lying size makes a hostile archive).
  void raw(const std::string& name, char type, std::string_view data, std::uint64_t declared_size,
           const std::string& link = "");
  // The archive with its two zero blocks.
  std::string finish() const;
  // Without the end marker.
  const std::string& bytes() const { return m_bytes; }

 private:
  std::string m_bytes;
};

// Files of a layout or archive: path -> content, plus symlinks.
struct FileSet {
  std::map<std::string, std::string> files;
  std::map<std::string, std::string> symlinks;  // path -> target

  Result<void> write_dir(const std::string& dir) const;
  std::string to_tar() const;
};

struct Blob {
  Digest digest;
  std::string media_type;
  std::uint64_t size = 0;
  nlohmann::json descriptor() const;
};

struct FixtureImage {
  Blob manifest;
  Blob config;
  std::vector<Digest> diff_ids;
};

// A small tar layer holding one file, distinct per `seed`.
std::string make_layer_tar(const std::string& seed);
// A config for the platform with these diff_ids.
std::string make_config(const std::vector<Digest>& diff_ids, const std::string& arch = "amd64",
                        const std::string& variant = "");

// An OCI image layout under construction.
class OciLayoutFixture {
 public:
  Blob add_blob(std::string bytes, const std::string& media_type);
  // An image of uncompressed layers; each layer tar becomes one blob.
  FixtureImage add_image(const std::vector<std::string>& layer_tars,
                         const std::string& arch = "amd64", const std::string& variant = "");
  // An index over manifests, each with a platform "os/arch[/variant]".
  Blob add_index(const std::vector<std::pair<Blob, std::string>>& manifests);
  // Lists a manifest or index in index.json, tagged when tag is non-empty.
  void list(const Blob& blob, const std::string& tag = "",
            const std::optional<std::string>& platform = std::nullopt);

  // The layout's files; index.json from the listed entries.
  FileSet files() const;
  FileSet& extra() { return m_files; }

 private:
  FileSet m_files;
  nlohmann::json m_entries = nlohmann::json::array();
};

enum class DockerLayerStyle {
  directory,  // "<id>/layer.tar" regular files (docker < 25)
  symlink,    // "<diffid>.tar" + "<id>/layer.tar" -> "../<diffid>.tar" (podman, skopeo)
  oci,        // "blobs/sha256/<hex>" + index.json/oci-layout (docker 25+)
};

struct DockerImageSpec {
  std::vector<std::string> repo_tags;
  std::vector<std::string> layer_tars;
};

// A `docker save` archive of the images.
FileSet make_docker_archive(const std::vector<DockerImageSpec>& images, DockerLayerStyle style);

nlohmann::json platform_json(const std::string& os_arch_variant);

// What LAYER.open() streams (at most 1 MiB), or "ERROR <message>".
std::string read_layer(const LayerDescriptor& layer);

}  // namespace cairn::testing
