#include <cstdio>

#include "cli/command.h"
#include "cli/image_json.h"
#include "cli/text_output.h"

namespace cairn::cli {
namespace {

std::string human_size(std::uint64_t bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1000 && unit + 1 < std::size(units)) {
    value /= 1000;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return buf;
}

void print_table(const std::vector<ImageRecord>& images) {
  std::printf("%-40s %-12s %6s %10s  %s\n", "NAME", "IMAGE ID", "LAYERS", "SIZE", "CREATED");
  for (const ImageRecord& image : images) {
    std::vector<std::string> names = image.names;
    if (names.empty()) names.push_back("<none>");
    for (const std::string& name : names) {
      std::printf("%-40s %-12s %6zu %10s  %s\n", name.c_str(),
                  std::string(image.id.short_hex()).c_str(), image.layers.size(),
                  human_size(image_size(image)).c_str(), utc_time(image.created).c_str());
    }
  }
}

Result<void> run_images(const GlobalOptions& global) {
  ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_only));
  ASSIGN_OR_RETURN(auto images, store->metadata().list_images());
  if (global.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const ImageRecord& image : images) out.push_back(image_summary_json(image));
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    print_table(images);
  }
  return {};
}

}  // namespace

Action define_images(CLI::App&, const GlobalOptions& global) {
  return [&global] { return run_images(global); };
}

}  // namespace cairn::cli
