#include "backend/composefs/integrity.h"

#include <map>
#include <set>

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

// That the image's files and its image digest are what its layer indexes
// give: the stacked files then show exactly the tree the flat image (whose
// digest is signed) holds, once files and objects are checked too.
void check_derivation(ComposefsBackend& backend, const Digest& top, const ImageRecipe& image,
                      IntegrityReport& report) {
  auto derived = backend.derive_digests(image);
  if (!derived) {
    report.problems.push_back(
        "image " + top.str() +
        ": cannot rebuild it from its layer indexes: " + derived.error().message());
    return;
  }
  for (size_t i = 0; i < image.files.size() && i < derived->files.size(); ++i) {
    if (image.files[i].digest == derived->files[i].digest) continue;
    report.problems.push_back("EROFS image " + image.files[i].name +
                              " is not what its layer indexes give: recorded " +
                              erofs::verity_hex(image.files[i].digest) + ", rebuilt " +
                              erofs::verity_hex(derived->files[i].digest));
  }
  if (image.flat_digest && *image.flat_digest != derived->flat) {
    report.problems.push_back("image " + top.str() + ": image digest " +
                              erofs::verity_hex(*image.flat_digest) + " is not that of its tree, " +
                              erofs::verity_hex(derived->flat));
  }
}

void cover_image(ComposefsBackend& backend, const Digest& top, Coverage& coverage,
                 IntegrityReport& report) {
  auto image = backend.recipe(top);
  if (!image) {
    report.problems.push_back("unreadable recipe " + top.str() + ": " + image.error().message());
    return;
  }
  ++report.images;
  for (const ChainLink& link : image->chain) coverage.layers.insert(link.diff_id);
  if (image->files.empty()) {
    for (const std::string& name : backend.erofs_names(*image))
      coverage.files.emplace(name, std::nullopt);
  }
  for (const ErofsFile& file : image->files) coverage.files[file.name] = file.digest;
  check_derivation(backend, top, *image, report);
}

void check_files(ComposefsBackend& backend, const Coverage& coverage, IntegrityReport& report) {
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
                                            IntegrityReport& report) {
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
                  IntegrityReport& report) {
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
  if (image.flat_digest) return erofs::verity_hex(*image.flat_digest);
  if (image.mode == Mode::flat) {  // a version 1 or 2 recipe
    ASSIGN_OR_RETURN(std::vector<ErofsFile> files, files_of(backend, image));
    return erofs::verity_hex(files.front().digest);
  }
  ASSIGN_OR_RETURN(DerivedDigests derived, backend.derive_digests(image));
  return erofs::verity_hex(derived.flat);
}

Result<std::string> ComposefsBackend::image_digest(const Digest& top) {
  return composefs::image_digest(*this, top);
}

Result<IntegrityReport> ComposefsBackend::verify(const std::optional<Digest>& top) {
  return composefs::verify(*this, top);
}

Result<void> ComposefsBackend::verify_image_digest(const Digest& top, std::string_view expected) {
  ASSIGN_OR_RETURN(IntegrityReport report, composefs::verify(*this, top));
  if (!report.problems.empty()) {
    return fail(
        Errc::digest_mismatch,
        "image " + top.str() + " does not verify: " + report.problems.front() +
            (report.problems.size() > 1 ? " (and " + std::to_string(report.problems.size() - 1) +
                                              " more problems: cairn verify IMAGE)"
                                        : ""));
  }
  ASSIGN_OR_RETURN(std::string digest, composefs::image_digest(*this, top));
  if (digest != expected) {
    return fail(Errc::digest_mismatch,
                "image digest is " + digest + ", not " + std::string(expected));
  }
  return {};
}

Result<IntegrityReport> verify(ComposefsBackend& backend, const std::optional<Digest>& top) {
  IntegrityReport report;
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
