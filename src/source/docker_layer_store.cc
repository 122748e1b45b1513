#include "source/docker_layer_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "layer/decompress.h"
#include "oci/chain_id.h"
#include "oci/manifest.h"
#include "oci/media_types.h"
#include "source/tar_split.h"
#include "util/sys.h"

namespace cairn {
namespace {

constexpr std::string_view k_driver = "overlay2";
constexpr size_t k_max_config = 8 << 20;

LayerStorePlan miss(std::string why) {
  return LayerStorePlan{std::nullopt, std::move(why)};
}

// Files the daemon may lay out otherwise, or keep from us: a reason to fall
// back to `docker save`, not an error.
bool out_of_reach(const Error& e) {
  return e.is_errno(ENOENT) || e.is_errno(ENOTDIR) || e.is_errno(EACCES) || e.is_errno(EPERM);
}

std::string first_line(std::string text) {
  size_t end = text.find_first_of("\r\n");
  if (end != std::string::npos) text.resize(end);
  return text;
}

bool is_plain_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find_first_of("/\\") == std::string_view::npos;
}

struct StorePaths {
  std::string image_root;  // DATA_ROOT/image/overlay2
  std::string layer_root;  // DATA_ROOT/overlay2
};

// A layer's tar-split record and unpacked directory.
struct LayerFiles {
  std::string tar_split;
  std::string diff_dir;
};

// The files of a layer, or why the layer store does not hold them as expected.
struct LayerLookup {
  std::optional<LayerFiles> files;
  std::string why_not;
};

Result<LayerLookup> find_layer(const StorePaths& paths, const Digest& chain,
                               const Digest& diff_id) {
  std::string dir = paths.image_root + "/layerdb/sha256/" + std::string(chain.hex());
  auto recorded = sys::read_file(dir + "/diff", 1024);
  auto cache_id = sys::read_file(dir + "/cache-id", 1024);
  for (auto* read : {&recorded, &cache_id}) {
    if (*read) continue;
    if (!out_of_reach(read->error())) return fail(std::move(*read).error());
    return LayerLookup{std::nullopt, "layer " + diff_id.str() + " is not in " + dir};
  }
  std::string name = first_line(*cache_id);
  if (first_line(*recorded) != diff_id.str() || !is_plain_name(name)) {
    return LayerLookup{std::nullopt, dir + " does not describe layer " + diff_id.str()};
  }
  LayerFiles files{dir + "/tar-split.json.gz", paths.layer_root + "/" + name + "/diff"};
  for (const std::string& path : {files.tar_split, files.diff_dir}) {
    ASSIGN_OR_RETURN(bool exists, sys::exists(path));
    if (!exists) return LayerLookup{std::nullopt, "layer " + diff_id.str() + ": no " + path};
  }
  return LayerLookup{std::move(files), ""};
}

LayerDescriptor layer_descriptor(const Digest& diff_id, LayerFiles files) {
  LayerDescriptor desc{diff_id,           std::string(media_type::k_oci_layer),
                       Compression::none, std::nullopt,
                       diff_id,           nullptr};
  desc.open = [files = std::move(files), diff_id]() -> Result<std::unique_ptr<Reader>> {
    ASSIGN_OR_RETURN(UniqueFd record, sys::open(files.tar_split, O_RDONLY));
    ASSIGN_OR_RETURN(UniqueFd dir, sys::open(files.diff_dir, O_RDONLY | O_DIRECTORY));
    auto compressed = std::make_unique<FdReader>(std::move(record), files.tar_split);
    ASSIGN_OR_RETURN(std::unique_ptr<Reader> lines,
                     make_decompressor(std::move(compressed), Compression::gzip));
    return std::make_unique<TarSplitReader>(std::move(lines), std::move(dir),
                                            "layer store " + diff_id.str());
  };
  return desc;
}

// The plan for an image the daemon has, once the store is known readable.
Result<LayerStorePlan> plan_from_store(const StorePaths& paths, const EngineImage& found,
                                       std::string_view image) {
  std::string config_path =
      paths.image_root + "/imagedb/content/sha256/" + std::string(found.id.hex());
  auto config = sys::read_file(config_path, k_max_config);
  if (!config) {
    if (out_of_reach(config.error())) return miss("no image config at " + config_path);
    return fail(std::move(config).error());
  }
  Digest got = Digest::of(*config);
  if (got != found.id) {
    return fail(Errc::digest_mismatch, config_path + ": config digest mismatch: expected " +
                                           found.id.str() + ", got " + got.str());
  }
  ASSIGN_OR_RETURN(ImageConfig parsed, parse_config(*config, config_path));
  ImagePlan plan{"dockerd://" + std::string(image),     std::nullopt, "", found.id, *config, {},
                 saved_repo_tag(image, found.repo_tags)};
  std::vector<Digest> chains = chain_ids(parsed.diff_ids);
  for (size_t i = 0; i < chains.size(); ++i) {
    ASSIGN_OR_RETURN(LayerLookup found_layer, find_layer(paths, chains[i], parsed.diff_ids[i]));
    if (!found_layer.files) return miss(std::move(found_layer.why_not));
    plan.layers.push_back(layer_descriptor(parsed.diff_ids[i], std::move(*found_layer.files)));
  }
  if (plan.layers.empty()) return miss("image has no layers");
  return LayerStorePlan{std::move(plan), ""};
}

// Docker's familiar form of a normalized name: without "docker.io/" and,
// for official images, "library/".
std::string familiar(std::string name) {
  for (std::string_view registry : {"docker.io/", "index.docker.io/"}) {
    if (name.starts_with(registry)) name.erase(0, registry.size());
  }
  if (name.starts_with("library/") && name.find('/', 8) == std::string::npos) name.erase(0, 8);
  return name;
}

}  // namespace

std::string saved_repo_tag(std::string_view ref, const std::vector<std::string>& repo_tags) {
  if (ref.find('@') != std::string_view::npos) return "";
  std::string name(ref);
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  bool tagged = colon != std::string::npos && (slash == std::string::npos || colon > slash);
  if (!tagged) name += ":latest";
  name = familiar(std::move(name));
  for (const std::string& tag : repo_tags) {
    if (tag == name) return name;
  }
  return "";
}

Result<LayerStorePlan> plan_docker_layer_store(std::string_view image,
                                               const DockerEnvironment& env) {
  std::optional<std::string> socket = local_docker_socket(env);
  if (!socket) return miss("the docker CLI is set to a daemon other than a local unix socket");
  DockerEngine engine(*socket);
  auto info = engine.info();
  if (!info) return miss(info.error().message());
  if (info->driver != k_driver) {
    return miss("graph driver " + info->driver + " (only " + std::string(k_driver) +
                " is read directly)");
  }
  StorePaths paths{info->root_dir + "/image/" + std::string(k_driver),
                   info->root_dir + "/" + std::string(k_driver)};
  if (::access((paths.image_root + "/layerdb").c_str(), R_OK | X_OK) != 0) {
    return miss("cannot read " + paths.image_root + "/layerdb: " + std::strerror(errno));
  }
  ASSIGN_OR_RETURN(EngineImage found, engine.inspect_image(image));
  return plan_from_store(paths, found, image);
}

}  // namespace cairn
