#include "support/gzip_image_plan.h"

#include <memory>

#include "support/compress.h"
#include "util/reader.h"

namespace cairn::test {
namespace {

LayerDescriptor describe(const std::string& tar) {
  auto blob = std::make_shared<std::string>(gzip(tar));
  return LayerDescriptor{.blob_digest = Digest::of(*blob),
                         .media_type = "application/vnd.oci.image.layer.v1.tar+gzip",
                         .compression = Compression::gzip,
                         .size = std::nullopt,
                         .diff_id = Digest::of(tar),
                         .open = [blob]() -> Result<std::unique_ptr<Reader>> {
                           return std::make_unique<MemoryReader>(*blob);
                         }};
}

}  // namespace

ImagePlan gzip_image_plan(const std::vector<std::string>& tars) {
  ImagePlan plan{.source = "test:",
                 .manifest_digest = std::nullopt,
                 .manifest = {},
                 .config_digest = Digest::of(""),
                 .config = {},
                 .layers = {},
                 .default_name = "img:1"};
  std::string diff_ids;
  for (const std::string& tar : tars) {
    plan.layers.push_back(describe(tar));
    diff_ids += "\"" + plan.layers.back().diff_id.str() + "\",";
  }
  diff_ids.pop_back();
  plan.config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[)" +
                diff_ids + "]}}";
  plan.config_digest = Digest::of(plan.config);
  plan.manifest = R"({"schemaVersion":2,"config":{"digest":")" + plan.config_digest.str() + "\"}}";
  plan.manifest_digest = Digest::of(plan.manifest);
  return plan;
}

}  // namespace cairn::test
