#include "support/source_fixtures.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "oci/media_types.h"
#include "util/reader.h"
#include "util/sys.h"

namespace cairn::testing {
namespace {

using Json = nlohmann::json;
constexpr size_t k_block = 512;

void put(std::string& block, size_t offset, std::string_view value, size_t max) {
  block.replace(offset, std::min(value.size(), max), value.substr(0, max));
}

void put_octal(std::string& block, size_t offset, size_t width, std::uint64_t value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*llo", static_cast<int>(width - 1),
                static_cast<unsigned long long>(value));
  put(block, offset, buf, width - 1);
}

}  // namespace

std::string ustar_header(const std::string& name, char type, std::uint64_t size,
                         const std::string& link) {
  std::string b(k_block, '\0');
  put(b, 0, name, 100);
  put_octal(b, 100, 8, type == '5' ? 0755 : 0644);
  put_octal(b, 108, 8, 0);
  put_octal(b, 116, 8, 0);
  put_octal(b, 124, 12, size);
  put_octal(b, 136, 12, 0);
  b[156] = type;
  put(b, 157, link, 100);
  std::memcpy(b.data() + 257,
              "ustar\0"
              "00",
              8);
  std::memset(b.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (char c : b) sum += static_cast<unsigned char>(c);
  char chk[8];
  std::snprintf(chk, sizeof chk, "%06o", sum);
  std::memcpy(b.data() + 148, chk, 7);
  return b;
}

namespace {

std::string pax_record(const std::string& key, const std::string& value) {
  std::string body = " " + key + "=" + value + "\n";
  size_t len = body.size() + 1;
  while (std::to_string(len).size() + body.size() != len) ++len;
  return std::to_string(len) + body;
}

std::string padded(std::string_view data) {
  std::string out(data);
  out.resize((data.size() + k_block - 1) / k_block * k_block, '\0');
  return out;
}

std::string hex_of(const Digest& d) {
  return std::string(d.hex());
}

}  // namespace

void TarFixture::raw(const std::string& name, char type, std::string_view data,
                     std::uint64_t declared_size, const std::string& link) {
  std::string pax;
  if (name.size() > 100) pax += pax_record("path", name);
  if (link.size() > 100) pax += pax_record("linkpath", link);
  if (!pax.empty()) m_bytes += ustar_header("PaxHeaders/x", 'x', pax.size(), "") + padded(pax);
  m_bytes += ustar_header(name, type, declared_size, link) + padded(data);
}

void TarFixture::file(const std::string& name, std::string_view data) {
  raw(name, '0', data, data.size());
}
void TarFixture::dir(const std::string& name) {
  raw(name, '5', "", 0);
}
void TarFixture::symlink(const std::string& name, const std::string& target) {
  raw(name, '2', "", 0, target);
}
void TarFixture::hardlink(const std::string& name, const std::string& target) {
  raw(name, '1', "", 0, target);
}

std::string TarFixture::finish() const {
  return m_bytes + std::string(2 * k_block, '\0');
}

Result<void> FileSet::write_dir(const std::string& dir) const {
  for (const auto& [path, data] : files) {
    std::string full = sys::join(dir, path);
    TRY(sys::make_dirs(sys::dirname(full)));
    TRY(sys::write_file_atomic(full, data));
  }
  for (const auto& [path, target] : symlinks) {
    std::string full = sys::join(dir, path);
    TRY(sys::make_dirs(sys::dirname(full)));
    if (::symlink(target.c_str(), full.c_str()) != 0) return fail_errno(errno, "symlink " + full);
  }
  return {};
}

std::string FileSet::to_tar() const {
  TarFixture tar;
  for (const auto& [path, data] : files) tar.file(path, data);
  for (const auto& [path, target] : symlinks) tar.symlink(path, target);
  return tar.finish();
}

Json Blob::descriptor() const {
  return Json{{"mediaType", media_type}, {"digest", digest.str()}, {"size", size}};
}

Json platform_json(const std::string& os_arch_variant) {
  std::vector<std::string> parts;
  size_t pos = 0;
  for (size_t slash; (slash = os_arch_variant.find('/', pos)) != std::string::npos;
       pos = slash + 1) {
    parts.push_back(os_arch_variant.substr(pos, slash - pos));
  }
  parts.push_back(os_arch_variant.substr(pos));
  Json p{{"os", parts.at(0)}, {"architecture", parts.at(1)}};
  if (parts.size() > 2) p["variant"] = parts[2];
  return p;
}

std::string make_layer_tar(const std::string& seed) {
  TarFixture tar;
  tar.dir("etc");
  tar.file("etc/" + seed, "content of " + seed + "\n");
  return tar.finish();
}

std::string make_config(const std::vector<Digest>& diff_ids, const std::string& arch,
                        const std::string& variant) {
  Json ids = Json::array();
  for (const Digest& d : diff_ids) ids.push_back(d.str());
  Json config{{"architecture", arch},
              {"os", "linux"},
              {"config", {{"Cmd", {"/bin/sh"}}}},
              {"rootfs", {{"type", "layers"}, {"diff_ids", ids}}}};
  if (!variant.empty()) config["variant"] = variant;
  return config.dump();
}

Blob OciLayoutFixture::add_blob(std::string bytes, const std::string& media_type) {
  Blob blob{Digest::of(bytes), media_type, bytes.size()};
  m_files.files["blobs/sha256/" + hex_of(blob.digest)] = std::move(bytes);
  return blob;
}

FixtureImage OciLayoutFixture::add_image(const std::vector<std::string>& layer_tars,
                                         const std::string& arch, const std::string& variant) {
  Json layers = Json::array();
  std::vector<Digest> diff_ids;
  for (const std::string& tar : layer_tars) {
    Blob layer = add_blob(tar, std::string(media_type::k_oci_layer));
    layers.push_back(layer.descriptor());
    diff_ids.push_back(layer.digest);
  }
  Blob config =
      add_blob(make_config(diff_ids, arch, variant), std::string(media_type::k_oci_config));
  Json manifest{{"schemaVersion", 2},
                {"mediaType", media_type::k_oci_manifest},
                {"config", config.descriptor()},
                {"layers", layers}};
  Blob m = add_blob(manifest.dump(), std::string(media_type::k_oci_manifest));
  return FixtureImage{m, config, diff_ids};
}

Blob OciLayoutFixture::add_index(const std::vector<std::pair<Blob, std::string>>& manifests) {
  Json entries = Json::array();
  for (const auto& [blob, platform] : manifests) {
    Json d = blob.descriptor();
    d["platform"] = platform_json(platform);
    entries.push_back(d);
  }
  Json index{{"schemaVersion", 2}, {"mediaType", media_type::k_oci_index}, {"manifests", entries}};
  return add_blob(index.dump(), std::string(media_type::k_oci_index));
}

void OciLayoutFixture::list(const Blob& blob, const std::string& tag,
                            const std::optional<std::string>& platform) {
  Json d = blob.descriptor();
  if (!tag.empty()) d["annotations"] = {{"org.opencontainers.image.ref.name", tag}};
  if (platform) d["platform"] = platform_json(*platform);
  m_entries.push_back(d);
}

FileSet OciLayoutFixture::files() const {
  FileSet out = m_files;
  out.files.try_emplace("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  out.files.try_emplace("index.json", Json{{"schemaVersion", 2}, {"manifests", m_entries}}.dump());
  return out;
}

FileSet make_docker_archive(const std::vector<DockerImageSpec>& images, DockerLayerStyle style) {
  OciLayoutFixture oci;
  FileSet out;
  Json manifest = Json::array();
  for (const DockerImageSpec& spec : images) {
    Json layers = Json::array();
    std::vector<Digest> diff_ids;
    for (size_t i = 0; i < spec.layer_tars.size(); ++i) {
      Digest diff_id = Digest::of(spec.layer_tars[i]);
      diff_ids.push_back(diff_id);
      std::string id = hex_of(Digest::of(diff_id.str() + std::to_string(i)));
      std::string layer_path = id + "/layer.tar";
      if (style == DockerLayerStyle::directory) {
        out.files[layer_path] = spec.layer_tars[i];
      } else if (style == DockerLayerStyle::symlink) {
        out.files[hex_of(diff_id) + ".tar"] = spec.layer_tars[i];
        out.symlinks[layer_path] = "../" + hex_of(diff_id) + ".tar";
      } else {
        layer_path = "blobs/sha256/" + hex_of(diff_id);
      }
      layers.push_back(layer_path);
    }
    std::string config_path;
    if (style == DockerLayerStyle::oci) {
      FixtureImage image = oci.add_image(spec.layer_tars);
      oci.list(image.manifest, spec.repo_tags.empty() ? "" : spec.repo_tags[0]);
      config_path = "blobs/sha256/" + hex_of(image.config.digest);
    } else {
      std::string config = make_config(diff_ids);
      config_path = hex_of(Digest::of(config)) + ".json";
      out.files[config_path] = config;
    }
    manifest.push_back(
        Json{{"Config", config_path}, {"RepoTags", spec.repo_tags}, {"Layers", layers}});
  }
  if (style == DockerLayerStyle::oci) out = oci.files();
  out.files["manifest.json"] = manifest.dump();
  return out;
}

std::string read_layer(const LayerDescriptor& layer) {
  auto reader = layer.open();
  if (!reader) return "ERROR " + reader.error().message();
  auto data = read_all(**reader, 1 << 20);
  return data ? *data : "ERROR " + data.error().message();
}

}  // namespace cairn::testing
