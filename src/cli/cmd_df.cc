// `cairn df`: disk usage per image and in total (doc/cli.md). Logical bytes
// are the uncompressed layer tars (each distinct layer once in the total);
// the other columns are what the backend reports (Backend::image_usage,
// total_usage). Where a backend reports no total, the total row sums the
// images' values.
#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/text_output.h"

namespace cairn::cli {
namespace {

struct Row {
  std::string label;
  std::uint64_t logical = 0;
  std::vector<UsageItem> items;
};

// diff_id -> uncompressed size, from whichever record ingested the layer.
std::map<Digest, std::uint64_t> layer_sizes(const std::vector<ImageRecord>& images) {
  std::map<Digest, std::uint64_t> sizes;
  for (const ImageRecord& image : images) {
    for (const LayerRecord& layer : image.layers) {
      auto& size = sizes[layer.diff_id];
      size = std::max(size, layer.tar_size);
    }
  }
  return sizes;
}

enum class SizeUnits { bytes, human };

std::string size_text(std::uint64_t bytes, SizeUnits units) {
  return units == SizeUnits::human ? human_size(bytes) : std::to_string(bytes);
}

// "a, b" for an image's names; its short id when it has none.
std::string label_of(const ImageRecord& image) {
  if (image.names.empty()) return std::string(image.id.short_hex());
  std::string label;
  for (const std::string& name : image.names) label += (label.empty() ? "" : ", ") + name;
  return label;
}

void print_table(const std::vector<Row>& rows, const Row& total, SizeUnits units) {
  size_t width = 5;
  for (const Row& row : rows) width = std::max(width, row.label.size());
  int label_width = static_cast<int>(std::min<size_t>(width, 200));
  std::printf("%-*s %14s", label_width, "IMAGE", "LOGICAL");
  for (const UsageItem& item : total.items) std::printf(" %16s", item.name.c_str());
  std::printf("\n");
  auto print_row = [&](const Row& row) {
    std::printf("%-*s %14s", label_width, row.label.c_str(), size_text(row.logical, units).c_str());
    for (const UsageItem& item : row.items) {
      std::printf(" %16s", size_text(item.bytes, units).c_str());
    }
    std::printf("\n");
  };
  for (const Row& row : rows) print_row(row);
  print_row(total);
}

nlohmann::json row_json(const Row& row) {
  nlohmann::json out = {{"logical_bytes", row.logical}};
  for (const UsageItem& item : row.items) out[item.name] = item.bytes;
  return out;
}

Result<void> run_df(SizeUnits units, const GlobalOptions& global) {
  ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_only));
  ASSIGN_OR_RETURN(auto images, store->metadata().list_images());
  const auto sizes = layer_sizes(images);
  std::vector<Row> rows;
  Row total{"TOTAL", 0, {}};
  for (const auto& [diff_id, size] : sizes) total.logical += size;
  ASSIGN_OR_RETURN(total.items, store->backend().total_usage());
  const bool sum_images = total.items.empty();
  for (const ImageRecord& image : images) {
    Row row{label_of(image), 0, {}};
    for (const LayerRecord& layer : image.layers) row.logical += sizes.at(layer.diff_id);
    ASSIGN_OR_RETURN(row.items, store->backend().image_usage(image.top_chain));
    if (sum_images && total.items.empty()) {
      for (const UsageItem& item : row.items) total.items.push_back({item.name, 0});
    }
    for (size_t i = 0; sum_images && i < row.items.size(); ++i) {
      total.items[i].bytes += row.items[i].bytes;
    }
    rows.push_back(std::move(row));
  }
  if (!global.json) {
    print_table(rows, total, units);
    return {};
  }
  nlohmann::json out = {{"backend", store->backend().name()}, {"images", nlohmann::json::array()}};
  for (size_t i = 0; i < rows.size(); ++i) {
    nlohmann::json entry = row_json(rows[i]);
    entry["id"] = images[i].id.str();
    entry["names"] = images[i].names;
    out["images"].push_back(std::move(entry));
  }
  out["total"] = row_json(total);
  std::printf("%s\n", out.dump(2).c_str());
  return {};
}

}  // namespace

Action define_df(CLI::App& command, const GlobalOptions& global) {
  auto human = std::make_shared<bool>(false);
  command.set_help_flag("--help", "Print this help message and exit");
  command.add_flag("-h,--human-readable", *human, "Sizes in kB, MB, GB (decimal) instead of bytes");
  return [human, &global] { return run_df(*human ? SizeUnits::human : SizeUnits::bytes, global); };
}

}  // namespace cairn::cli
