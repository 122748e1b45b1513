#include "store/store_check.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "layer/hashing_reader.h"
#include "store/layer_blobs.h"
#include "store/layer_keeping.h"
#include "store/record_references.h"
#include "util/sys.h"

namespace cairn {
namespace {

std::string label(const ImageRecord& image) {
  std::string text = "image " + std::string(image.id.short_hex());
  if (image.names.empty()) return text;
  text += " (";
  for (size_t i = 0; i < image.names.size(); ++i) text += (i ? ", " : "") + image.names[i];
  return text + ")";
}

// Reads R to its end; the error, if any, as one line.
std::optional<std::string> read_through(Result<std::unique_ptr<Reader>> reader) {
  if (!reader) return reader.error().message();
  auto n = drain(**reader);
  if (!n) return n.error().message();
  return std::nullopt;
}

class Checker {
 public:
  Checker(Store& store, StoreCheck& out) : m_store(store), m_out(out) {}

  Result<void> image(const ImageRecord& image) {
    ++m_out.images;
    auto damaged = [&](const std::string& what) {
      m_out.damaged.push_back(label(image) + ": " + what);
      m_out.damaged_images.insert(image.id);
    };
    ASSIGN_OR_RETURN(bool present, m_store.backend().has_image(image.top_chain));
    if (!present) {
      damaged("the " + std::string(m_store.backend().name()) + " backend has no image of its " +
              "top chain " + image.top_chain.str());
      return {};
    }
    for (size_t i = 0; i < image.layers.size(); ++i) {
      if (auto problem = layer(image, i)) damaged(*problem);
      if (auto problem = kept_blob(image, i)) damaged(*problem);
    }
    if (ImageIntegrity* integrity = m_store.backend().integrity()) {
      ASSIGN_OR_RETURN(std::string digest, integrity->image_digest(image.top_chain));
      auto verified = integrity->verify_image_digest(image.top_chain, digest);
      if (!verified) damaged(verified.error().message());
    }
    return {};
  }

 private:
  std::optional<std::string> layer(const ImageRecord& image, size_t index) {
    const LayerRecord& layer = image.layers[index];
    const Backend::ContentsKind kind = m_store.backend().contents_kind();
    bool top = index + 1 == image.layers.size();
    if (!top && kind == Backend::ContentsKind::merged_tree) {
      ++m_out.unchecked_layers;
      return std::nullopt;
    }
    auto [known, fresh] = m_layers.emplace(layer.chain_id, std::nullopt);
    if (!fresh) {
      // Checked for an earlier image, whose message names its own layer count.
      if (!known->second) return std::nullopt;
      return "layer " + std::to_string(index + 1) + " " + layer.diff_id.str() +
             ": damaged, as reported above for " + m_first_user.at(layer.chain_id);
    }
    m_first_user.emplace(layer.chain_id, label(image));
    const std::string record = tar_split_path(m_store.root(), layer.diff_id);
    auto recorded = sys::exists(record);
    if (recorded && !*recorded) {
      ++m_out.unchecked_layers;
      return std::nullopt;
    }
    if (kind == Backend::ContentsKind::entries) {
      known->second = read_through(rebuild_layer_tar(m_store, image, index));
    } else {
      known->second = check_tree_files(image, index, record);
    }
    if (!known->second) ++m_out.layers;
    return known->second;
  }

  // A tree holds the last version of each path the layer wrote: each of those must be in it,
  // with the content the record names.
  std::optional<std::string> check_tree_files(const ImageRecord& image, size_t index,
                                              const std::string& record) {
    std::map<std::string, std::pair<ContentRef, Digest>> last;
    auto listed =
        for_each_reference(record, [&](const ContentRef& ref, const std::optional<Digest>& sha256) {
          if (sha256) {
            last.insert_or_assign(ref.path, std::make_pair(ref, *sha256));
          } else {
            last.erase(ref.path);  // content kept as raw bytes (sparse): nothing to compare
          }
          return Result<void>{};
        });
    if (!listed) return listed.error().message();
    auto contents = m_store.backend().layer_contents(chain_of(image), index);
    if (!contents) return contents.error().message();
    const std::string what = "layer " + std::to_string(index + 1) + "/" +
                             std::to_string(image.layers.size()) + " " +
                             image.layers[index].diff_id.str() + ": ";
    for (const auto& [path, entry] : last) {
      const auto& [ref, sha256] = entry;
      auto reader = (*contents)->open(ref);
      if (!reader) return what + reader.error().message();
      HashingReader hashing(std::move(*reader));
      auto n = drain(hashing);
      if (!n) return what + n.error().message();
      if (*n != ref.size || hashing.digest() != sha256) {
        return what + path + ": holds " + std::to_string(*n) + " bytes with sha256 " +
               hashing.digest().str() + ", the record " + std::to_string(ref.size) + " bytes " +
               "with " + sha256.str();
      }
    }
    return std::nullopt;
  }

  std::optional<std::string> kept_blob(const ImageRecord& image, size_t index) {
    const auto& digest = image.layers[index].blob_digest;
    if (!digest || !m_blobs.insert(*digest).second) return std::nullopt;
    auto blob = open_kept_blob(m_store, image, index);
    if (!blob) return blob.error().message();
    if (!*blob) return std::nullopt;
    ++m_out.blobs;
    return read_through(std::move(**blob));
  }

  Store& m_store;
  StoreCheck& m_out;
  std::map<Digest, std::optional<std::string>> m_layers;  // by ChainID: the problem, if any
  std::map<Digest, std::string> m_first_user;             // by ChainID: the image checked with it
  std::set<Digest> m_blobs;
};

Result<void> check_containers(Store& store, StoreCheck& out) {
  ASSIGN_OR_RETURN(auto containers, store.metadata().list_containers());
  for (const ContainerRecord& container : containers) {
    ++out.containers;
    auto path = store.backend().container_path(container.name);
    auto present = path ? sys::exists(*path) : Result<bool>(false);
    if (present && *present) continue;
    out.unfinished.push_back("container " + container.name +
                             ": its row names no container (a create that did not finish)");
    out.orphan_containers.push_back(container.name);
  }
  return {};
}

Result<void> check_staging(Store& store, StoreCheck& out) {
  const std::string tmp = store.root() + "/tmp";
  ASSIGN_OR_RETURN(bool present, sys::exists(tmp));
  if (present) {
    ASSIGN_OR_RETURN(auto names, sys::list_directory(tmp));
    for (const std::string& name : names) out.unfinished.push_back("staging " + tmp + "/" + name);
  }
  ASSIGN_OR_RETURN(auto staged, store.backend().unfinished());
  out.unfinished.insert(out.unfinished.end(), staged.begin(), staged.end());
  return {};
}

}  // namespace

Result<StoreCheck> check_store(Store& store) {
  StoreCheck out;
  ASSIGN_OR_RETURN(out.damaged, store.metadata().integrity_problems());
  ASSIGN_OR_RETURN(auto images, store.metadata().list_images());
  Checker checker(store, out);
  for (const ImageRecord& image : images) TRY(checker.image(image));
  TRY(check_containers(store, out));
  TRY(check_staging(store, out));
  return out;
}

Result<StoreRepair> repair_store(Store& store, const StoreCheck& found) {
  StoreRepair repair;
  for (const std::string& name : found.orphan_containers) {
    TRY(store.remove_container(name));
  }
  ASSIGN_OR_RETURN(auto containers, store.metadata().list_containers());
  for (const Digest& id : found.damaged_images) {
    ASSIGN_OR_RETURN(std::optional<ImageRecord> image, store.metadata().find_image(id));
    if (!image) continue;
    auto user = std::find_if(containers.begin(), containers.end(),
                             [&](const ContainerRecord& c) { return c.image_id == id; });
    if (user != containers.end()) {
      repair.kept.push_back(label(*image) + ": container " + user->name + " uses it");
      continue;
    }
    TRY(store.metadata().remove_image(id));
    repair.lost.push_back(label(*image));
  }
  TRY(store.collect_garbage());
  return repair;
}

}  // namespace cairn
