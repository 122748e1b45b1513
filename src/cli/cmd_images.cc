// `cairn images [-q] [--no-trunc] [--filter KEY=VALUE]...`: the images, one
// row per name (an unnamed image shows as <none>). CREATED is when the image
// was built (its config's "created"), else when it was imported.
#include <fnmatch.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "cli/command.h"
#include "cli/image_json.h"
#include "cli/text_output.h"

namespace cairn::cli {
namespace {

struct ImagesArgs {
  bool quiet = false;
  bool no_trunc = false;
  std::vector<std::string> filters;
};

// One --filter: reference=GLOB (a name matches, as podman's) or dangling=true|false.
struct ImageFilter {
  std::string key;
  std::string value;
  bool matches(const ImageRecord& image) const {
    if (key == "dangling") return image.names.empty() == (value == "true");
    return std::any_of(image.names.begin(), image.names.end(), [&](const std::string& name) {
      return ::fnmatch(value.c_str(), name.c_str(), 0) == 0;
    });
  }
};

Result<std::vector<ImageFilter>> parse_filters(const std::vector<std::string>& specs) {
  std::vector<ImageFilter> filters;
  for (const std::string& spec : specs) {
    size_t eq = spec.find('=');
    ImageFilter filter{spec.substr(0, eq), eq == std::string::npos ? "" : spec.substr(eq + 1)};
    bool known = filter.key == "reference" ||
                 (filter.key == "dangling" && (filter.value == "true" || filter.value == "false"));
    if (eq == std::string::npos || !known) {
      return fail(Errc::usage, "images --filter " + spec +
                                   ": expected reference=PATTERN or dangling=true|false");
    }
    filters.push_back(std::move(filter));
  }
  return filters;
}

std::string shown_id(const ImageRecord& image, bool no_trunc) {
  return no_trunc ? image.id.str() : std::string(image.id.short_hex());
}

void print_table(const std::vector<ImageRecord>& images, bool no_trunc) {
  size_t width = 4;
  for (const ImageRecord& image : images) {
    for (const std::string& name : image.names) width = std::max(width, name.size());
  }
  int name_width = static_cast<int>(std::min<size_t>(width, 200));
  int id_width = no_trunc ? 71 : 12;
  std::printf("%-*s  %-*s %6s %10s  %s\n", name_width, "NAME", id_width, "IMAGE ID", "LAYERS",
              "SIZE", "CREATED");
  for (const ImageRecord& image : images) {
    std::vector<std::string> names = image.names;
    if (names.empty()) names.push_back("<none>");
    for (const std::string& name : names) {
      std::printf("%-*s  %-*s %6zu %10s  %s\n", name_width, name.c_str(), id_width,
                  shown_id(image, no_trunc).c_str(), image.layers.size(),
                  human_size(image_size(image)).c_str(), image_created_text(image).c_str());
    }
  }
}

Result<void> run_images(const ImagesArgs& args, const GlobalOptions& global) {
  ASSIGN_OR_RETURN(auto filters, parse_filters(args.filters));
  ASSIGN_OR_RETURN(auto store, open_store_to_list(global));
  std::vector<ImageRecord> images;
  if (store) {
    ASSIGN_OR_RETURN(images, store->metadata().list_images());
  }
  std::erase_if(images, [&](const ImageRecord& image) {
    return !std::all_of(filters.begin(), filters.end(),
                        [&](const ImageFilter& f) { return f.matches(image); });
  });
  if (args.quiet) {
    for (const ImageRecord& image : images)
      std::printf("%s\n", shown_id(image, args.no_trunc).c_str());
  } else if (global.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const ImageRecord& image : images) out.push_back(image_summary_json(image));
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    print_table(images, args.no_trunc);
  }
  return {};
}

}  // namespace

Action define_images(CLI::App& command, const GlobalOptions& global) {
  auto args = std::make_shared<ImagesArgs>();
  command.add_flag("-q,--quiet", args->quiet, "Print image ids only, one per line");
  command.add_flag("--no-trunc", args->no_trunc, "Print full image ids (sha256:…)");
  command
      .add_option("-f,--filter", args->filters,
                  "reference=PATTERN (a name matches the glob) or dangling=true|false; "
                  "repeat to combine")
      ->allow_extra_args(false);
  return [args, &global] { return run_images(*args, global); };
}

}  // namespace cairn::cli
