// Bounds an import enforces on what a source hands it, beyond the limits
// Linux itself sets on one entry (layer/entry_limits.h). They keep a hostile
// or mistaken image from exhausting memory or disk: a composefs import holds
// every entry of a layer in memory (~0.55 KiB each, doc/composefs-backend.md),
// and every backend writes what the entries' sizes say.
//
// Store settings, from the config file (limits.layer_entries,
// limits.layer_bytes, limits.image_layers) or the environment
// (CAIRN_LIMIT_LAYER_ENTRIES, CAIRN_LIMIT_LAYER_BYTES,
// CAIRN_LIMIT_IMAGE_LAYERS); doc/cli.md lists them with their defaults.
// Going past one is Errc::bad_input (exit 4), naming the limit and the
// setting that raises it; the import leaves the store as it was.
//
// Not settings: manifests, configs and indexes are read up to 4 MiB each
// (oci/manifest.h), layer indexes and TOCs up to their own fixed sizes, and
// JSON from images nests at most 100 levels (oci/json_depth.h).
#pragma once

#include <cstdint>
#include <string_view>

#include "layer/layer_sink.h"
#include "util/error.h"

namespace cairn {

struct ImportLimits {
  std::uint64_t layer_entries = 4'000'000;             // tar entries in one layer
  std::uint64_t layer_bytes = std::uint64_t{1} << 44;  // sum of one layer's file sizes (16 TiB)
  std::uint64_t image_layers = 500;                    // layers in one image
};

// A limit's value: a decimal number, for layer_bytes optionally with a
// binary suffix K, M, G or T. Errc::usage naming SETTING otherwise (zero
// included).
Result<std::uint64_t> parse_limit(std::string_view setting, std::string_view value,
                                  bool byte_suffixes);

// Errc::bad_input when an image of LAYERS layers exceeds the limit.
Result<void> check_image_layers(std::uint64_t layers, const ImportLimits& limits);

// Passes entries on to another sink, counting them and their sizes (the
// logical size of regular files: holes count) against the limits.
class LimitedSink final : public LayerSink {
 public:
  LimitedSink(LayerSink& inner, const ImportLimits& limits) : m_inner(inner), m_limits(limits) {}

  Result<void> add(const TarEntry& entry, EntryData& data) override;
  Result<void> finish() override { return m_inner.finish(); }

 private:
  LayerSink& m_inner;
  const ImportLimits& m_limits;
  std::uint64_t m_entries = 0;
  std::uint64_t m_bytes = 0;
};

}  // namespace cairn
