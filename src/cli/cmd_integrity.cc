// Integrity commands, for backends with image digests (backend/image_integrity.h;
// composefs: doc/composefs-backend.md, "Integrity"): `cairn digest IMAGE`
// prints the image digest; `cairn verify [IMAGE] [--key PUB.pem]` re-hashes
// image files and objects and reports every problem (exit 4 if any), and
// with --key checks the image's signature; `cairn sign IMAGE --key KEY.pem`
// writes that signature; `cairn seal IMAGE [--name NAME]` adds an image
// whose config carries the image digest as its containers.composefs.fsverity
// label (store/seal.h).
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "backend/composefs/signature.h"
#include "cli/command.h"
#include "cli/text_output.h"
#include "store/seal.h"
#include "util/sys.h"

namespace cairn::cli {
namespace {

Result<void> run_digest(const std::string& ref, const GlobalOptions& global) {
  ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_only));
  ASSIGN_OR_RETURN(ImageIntegrity * integrity, store->backend().require_integrity("digest"));
  ASSIGN_OR_RETURN(ImageRecord image, store->metadata().resolve_image(ref));
  ASSIGN_OR_RETURN(std::string digest, integrity->image_digest(image.top_chain));
  std::printf("%s\n", digest.c_str());
  return {};
}

Result<void> run_sign(const std::string& ref, const std::string& key, const std::string& output,
                      const GlobalOptions& global) {
  ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_write));
  ASSIGN_OR_RETURN(ImageIntegrity * integrity, store->backend().require_integrity("sign"));
  ASSIGN_OR_RETURN(ImageRecord image, store->metadata().resolve_image(ref));
  ASSIGN_OR_RETURN(std::string digest, integrity->image_digest(image.top_chain));
  ASSIGN_OR_RETURN(std::string text, composefs::sign_digest(key, digest));
  const std::string path = output.empty() ? integrity->signature_path(image.top_chain) : output;
  TRY(sys::write_file_atomic(path, text));
  std::printf("%s\n", path.c_str());
  return {};
}

// The config with the seal label set to DIGEST (the producer's key order kept).
Result<std::string> sealed_config(const std::string& config, const std::string& digest) {
  auto json = nlohmann::ordered_json::parse(config, nullptr, false);
  if (!json.is_object()) return fail(Errc::bad_input, "image config is not a JSON object");
  nlohmann::ordered_json& inner = json["config"];
  if (inner.is_null()) inner = nlohmann::ordered_json::object();
  if (!inner.is_object())
    return fail(Errc::bad_input, "image config's \"config\" is not an object");
  nlohmann::ordered_json& labels = inner["Labels"];
  if (labels.is_null()) labels = nlohmann::ordered_json::object();
  if (!labels.is_object()) return fail(Errc::bad_input, "image config's Labels is not an object");
  labels[std::string(k_seal_label)] = digest;
  return json.dump();
}

Result<void> run_seal(const std::string& ref, const std::string& name,
                      const GlobalOptions& global) {
  ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_write));
  ASSIGN_OR_RETURN(ImageIntegrity * integrity, store->backend().require_integrity("seal"));
  ASSIGN_OR_RETURN(ImageRecord image, store->metadata().resolve_image(ref));
  ASSIGN_OR_RETURN(std::string digest, integrity->image_digest(image.top_chain));
  ImageRecord sealed = image;
  ASSIGN_OR_RETURN(sealed.config, sealed_config(image.config, digest));
  sealed.id = Digest::of(sealed.config);
  sealed.manifest_digest.reset();  // the manifest named the old config
  sealed.created = static_cast<std::int64_t>(std::time(nullptr));
  sealed.names.clear();
  std::optional<std::string> target;
  if (!name.empty()) {
    target = name;
  } else if (std::ranges::find(image.names, ref) != image.names.end()) {
    target = ref;  // IMAGE given by name: the name moves to the sealed image
  }
  TRY(store->metadata().put_image(sealed, target));
  std::printf("%s\n", sealed.id.str().c_str());
  return {};
}

// SIGNATURE: a detached signature file; empty: the one `sign` keeps in the store.
Result<void> check_signature(ImageIntegrity& integrity, const ImageRecord& image,
                             const std::string& key, const std::string& signature) {
  ASSIGN_OR_RETURN(std::string digest, integrity.image_digest(image.top_chain));
  const std::string path =
      signature.empty() ? integrity.signature_path(image.top_chain) : signature;
  auto text = sys::read_file(path, 4096);
  if (!text) {
    return fail(Errc::not_found, "image " + image.id.str() + " is not signed (no " + path +
                                     "; cairn sign IMAGE --key KEY.pem makes one)");
  }
  auto checked = composefs::verify_signature(key, digest, *text);
  if (!checked) return fail(std::move(checked).error().wrap(path));
  return {};
}

void print_report(const IntegrityReport& report, bool json) {
  if (json) {
    nlohmann::json out = {{"images", report.images},
                          {"erofs_images", report.erofs_files},
                          {"objects", report.objects},
                          {"problems", report.problems}};
    std::printf("%s\n", out.dump(2).c_str());
    return;
  }
  for (const std::string& problem : report.problems) std::printf("%s\n", problem.c_str());
  std::printf("checked %s, %s, %s: %s\n", count(report.images, "image").c_str(),
              count(report.erofs_files, "EROFS image").c_str(),
              count(report.objects, "object").c_str(),
              count(report.problems.size(), "problem").c_str());
}

Result<void> run_verify(const std::string& ref, const std::string& key,
                        const std::string& signature, const GlobalOptions& global) {
  if (!key.empty() && ref.empty()) return fail(Errc::usage, "verify --key needs an IMAGE");
  if (!signature.empty() && key.empty()) return fail(Errc::usage, "verify --signature needs --key");
  ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_only));
  ASSIGN_OR_RETURN(ImageIntegrity * integrity, store->backend().require_integrity("verify"));
  std::optional<ImageRecord> image;
  if (!ref.empty()) {
    ASSIGN_OR_RETURN(image, store->metadata().resolve_image(ref));
  }
  std::optional<Digest> top;
  if (image) top = image->top_chain;
  ASSIGN_OR_RETURN(IntegrityReport report, integrity->verify(top));
  print_report(report, global.json);
  if (!report.problems.empty()) {
    return fail(Errc::digest_mismatch, "verify: " + count(report.problems.size(), "problem"));
  }
  if (!key.empty()) {
    TRY(check_signature(*integrity, *image, key, signature));
    if (!global.json) std::printf("signature: good\n");
  }
  return {};
}

}  // namespace

Action define_digest(CLI::App& command, const GlobalOptions& global) {
  auto ref = std::make_shared<std::string>();
  command.add_option("image", *ref, "Image name or id")->required();
  return [ref, &global] { return run_digest(*ref, global); };
}

Action define_sign(CLI::App& command, const GlobalOptions& global) {
  auto ref = std::make_shared<std::string>();
  auto key = std::make_shared<std::string>();
  command.add_option("image", *ref, "Image name or id")->required();
  auto output = std::make_shared<std::string>();
  command.add_option("--key", *key, "Ed25519 private key (PEM)")->required();
  command.add_option(
      "-o,--output", *output,
      "Write the signature to this file (a detached signature) instead of the store");
  return [ref, key, output, &global] { return run_sign(*ref, *key, *output, global); };
}

Action define_seal(CLI::App& command, const GlobalOptions& global) {
  auto ref = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();
  command.add_option("image", *ref, "Image name or id")->required();
  command.add_option("--name", *name,
                     "Name of the sealed image (default: IMAGE, when given by name)");
  return [ref, name, &global] { return run_seal(*ref, *name, global); };
}

Action define_verify(CLI::App& command, const GlobalOptions& global) {
  auto ref = std::make_shared<std::string>();
  auto key = std::make_shared<std::string>();
  command.add_option("image", *ref, "Image name or id (default: the whole store)");
  auto signature = std::make_shared<std::string>();
  command.add_option("--key", *key, "Ed25519 public key (PEM): also check the image's signature");
  command.add_option("--signature", *signature,
                     "Check this detached signature file (from sign -o) instead of the store's");
  return [ref, key, signature, &global] { return run_verify(*ref, *key, *signature, global); };
}

}  // namespace cairn::cli
