// Garbage collection of the composefs backend, in three sweeps that each
// only remove what the previous one left unreferenced: images (with their
// chain files) whose top chain is not kept; layer indexes no remaining
// chain file names; objects no remaining index names. An image or index
// that cannot be read keeps everything it might reference: gc fails instead
// of guessing.
#include <dirent.h>
#include <unistd.h>

#include <cerrno>

#include "backend/composefs/composefs_backend.h"
#include "backend/composefs/layer_index.h"
#include "util/sys.h"

namespace cairn::composefs {
namespace {

constexpr std::string_view k_chain_magic = "cairn-composefs-chain 1";

Result<std::vector<std::string>> names_in(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return fail_errno(errno, "opendir " + path);
  while (dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(dir);
  return names;
}

// The digest a file NAME of the form <64 hex><SUFFIX> is named by.
std::optional<Digest> digest_named(std::string_view name, std::string_view suffix) {
  if (!name.ends_with(suffix)) return std::nullopt;
  auto digest = Digest::parse("sha256:" + std::string(name.substr(0, name.size() - suffix.size())));
  if (!digest) return std::nullopt;
  return *digest;
}

Result<void> remove_file(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return fail_errno(errno, "unlink " + path);
  return {};
}

Result<std::vector<Digest>> read_chain(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, sys::read_file(path));
  std::vector<Digest> diff_ids;
  size_t pos = 0;
  bool header = true;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) return fail(Errc::corrupt_store, path + ": truncated");
    std::string_view line = std::string_view(text).substr(pos, nl - pos);
    pos = nl + 1;
    if (header) {
      if (line != k_chain_magic) return fail(Errc::corrupt_store, path + ": bad header");
      header = false;
      continue;
    }
    auto digest = Digest::parse(line);
    if (!digest) return fail(Errc::corrupt_store, path + ": bad diff_id");
    diff_ids.push_back(*digest);
  }
  return diff_ids;
}

}  // namespace

Result<void> ComposefsBackend::collect(const std::set<Digest>& keep) {
  std::set<Digest> live_layers;
  TRY(collect_images(keep, live_layers));
  std::set<erofs::VerityDigest> live_objects;
  TRY(collect_layers(live_layers, live_objects));
  ASSIGN_OR_RETURN(auto objects, m_objects.list());
  for (const erofs::VerityDigest& object : objects) {
    if (!live_objects.contains(object)) TRY(m_objects.remove(object));
  }
  return {};
}

Result<void> ComposefsBackend::collect_images(const std::set<Digest>& keep,
                                              std::set<Digest>& live_layers) {
  std::string dir = m_dir + "/images";
  ASSIGN_OR_RETURN(auto names, names_in(dir));
  for (const std::string& name : names) {
    auto top = digest_named(name, ".chain");
    if (!top) top = digest_named(name, ".cfs");
    if (!top) continue;
    if (!keep.contains(*top)) {
      TRY(remove_file(image_path(*top)));
      TRY(remove_file(chain_path(*top)));
      continue;
    }
    if (!name.ends_with(".chain")) continue;
    ASSIGN_OR_RETURN(auto diff_ids, read_chain(dir + "/" + name));
    live_layers.insert(diff_ids.begin(), diff_ids.end());
  }
  return {};
}

Result<void> ComposefsBackend::collect_layers(const std::set<Digest>& live_layers,
                                              std::set<erofs::VerityDigest>& live_objects) {
  std::string dir = m_dir + "/layers";
  ASSIGN_OR_RETURN(auto names, names_in(dir));
  for (const std::string& name : names) {
    auto diff_id = digest_named(name, ".index");
    if (!diff_id) continue;
    if (!live_layers.contains(*diff_id)) {
      TRY(remove_file(index_path(*diff_id)));
      continue;
    }
    ASSIGN_OR_RETURN(std::string text, sys::read_file(index_path(*diff_id), size_t{1} << 30));
    auto index = parse_index(text);
    if (!index) return fail(std::move(index).error().wrap(index_path(*diff_id)));
    for (const IndexEntry& e : index->entries) {
      if (e.object) live_objects.insert(*e.object);
    }
  }
  return {};
}

}  // namespace cairn::composefs
