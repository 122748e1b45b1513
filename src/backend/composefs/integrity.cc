#include "backend/composefs/integrity.h"

#include <map>
#include <set>

#include "util/sha256.h"
#include "util/sys.h"

namespace cairn::composefs {
namespace {

constexpr size_t k_max_index_size = size_t{1} << 30;

// The EROFS files of IMAGE with their digests: recorded, or computed from
// the files for a version 1 recipe.
Result<std::vector<ErofsFile>> files_of(ComposefsBackend& backend, const ImageRecipe& image) {
  if (!image.files.empty()) return image.files;
  std::vector<ErofsFile> files;
  for (const std::string& name : backend.erofs_names(image)) {
    ASSIGN_OR_RETURN(erofs::VerityDigest digest,
                     erofs::fsverity_digest_file(backend.images_dir() + "/" + name));
    files.push_back({name, digest});
  }
  return files;
}

// What one verification run covers, gathered from the recipes first.
struct Coverage {
  std::map<std::string, std::optional<erofs::VerityDigest>> files;  // name -> recorded
  std::set<Digest> layers;
};

Result<std::vector<Digest>> all_images(ComposefsBackend& backend) {
  ASSIGN_OR_RETURN(auto names, sys::list_directory(backend.images_dir()));
  std::vector<Digest> tops;
  for (const std::string& name : names) {
    if (!name.ends_with(".chain")) continue;
    auto top = Digest::parse("sha256:" + name.substr(0, name.size() - 6));
    if (top) tops.push_back(*top);
  }
  return tops;
}

void cover_image(ComposefsBackend& backend, const Digest& top, Coverage& coverage,
                 VerifyReport& report) {
  auto image = backend.recipe(top);
  if (!image) {
    report.problems.push_back("unreadable recipe " + top.str() + ": " + image.error().message());
    return;
  }
  ++report.images;
  for (const ChainLink& link : image->chain) coverage.layers.insert(link.diff_id);
  if (image->files.empty()) {
    for (const std::string& name : backend.erofs_names(*image)) coverage.files.emplace(name, std::nullopt);
  }
  for (const ErofsFile& file : image->files) coverage.files[file.name] = file.digest;
}

void check_files(ComposefsBackend& backend, const Coverage& coverage, VerifyReport& report) {
  for (const auto& [name, recorded] : coverage.files) {
    const std::string path = backend.images_dir() + "/" + name;
    auto digest = erofs::fsverity_digest_file(path);
    if (!digest) {
      report.problems.push_back("missing or unreadable EROFS image " + name + ": " +
                                digest.error().message());
      continue;
    }
    ++report.erofs_files;
    if (recorded && *recorded != *digest) {
      report.problems.push_back("corrupt EROFS image " + name + ": fs-verity digest " +
                                erofs::verity_hex(*digest) + ", recorded " +
                                erofs::verity_hex(*recorded));
    }
  }
}

// The objects the covered indexes name (a missing or damaged index is reported).
std::set<erofs::VerityDigest> named_objects(ComposefsBackend& backend, const Coverage& coverage,
                                            VerifyReport& report) {
  std::set<erofs::VerityDigest> objects;
  for (const Digest& diff_id : coverage.layers) {
    const std::string path = backend.index_path(diff_id);
    auto text = sys::read_file(path, k_max_index_size);
    auto index = text ? parse_index(*text) : Result<LayerIndex>(std::unexpected(text.error()));
    if (!index) {
      report.problems.push_back("missing or damaged layer index " + diff_id.str() + ": " +
                                index.error().message());
      continue;
    }
    for (const IndexEntry& e : index->entries) {
      if (e.object) objects.insert(*e.object);
    }
  }
  return objects;
}

void check_object(ComposefsBackend& backend, const erofs::VerityDigest& object,
                  VerifyReport& report) {
  const std::string name = ObjectStore::relative_path(object);
  auto digest = erofs::fsverity_digest_file(backend.objects().path_of(object));
  if (!digest) {
    report.problems.push_back("missing object " + name + ": " + digest.error().message());
    return;
  }
  ++report.objects;
  if (*digest != object) {
    report.problems.push_back("corrupt object " + name + ": content has fs-verity digest " +
                              erofs::verity_hex(*digest));
  }
}

}  // namespace

Result<std::string> image_digest(ComposefsBackend& backend, const Digest& top) {
  ASSIGN_OR_RETURN(ImageRecipe image, backend.recipe(top));
  ASSIGN_OR_RETURN(std::vector<ErofsFile> files, files_of(backend, image));
  if (files.size() == 1) return erofs::verity_hex(files.front().digest);
  std::string text = "cairn-composefs-stack 1\n";
  for (const ErofsFile& file : files) text += erofs::verity_hex(file.digest) + "\n";
  return to_hex(Sha256::of(text));
}

Result<VerifyReport> verify(ComposefsBackend& backend, const std::optional<Digest>& top) {
  VerifyReport report;
  Coverage coverage;
  std::vector<Digest> tops;
  if (top) {
    tops.push_back(*top);
  } else {
    ASSIGN_OR_RETURN(tops, all_images(backend));
  }
  for (const Digest& image : tops) cover_image(backend, image, coverage, report);
  check_files(backend, coverage, report);
  std::set<erofs::VerityDigest> objects = named_objects(backend, coverage, report);
  if (!top) {
    ASSIGN_OR_RETURN(auto present, backend.objects().list());
    objects.insert(present.begin(), present.end());
  }
  for (const erofs::VerityDigest& object : objects) check_object(backend, object, report);
  return report;
}

}  // namespace cairn::composefs
