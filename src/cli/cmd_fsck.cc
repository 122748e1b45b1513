// `cairn fsck [--repair]`: checks that the store holds every image it
// records, whole, and names what interrupted commands left (store/store_check.h).
// Without --repair it only reads, under a shared store lock (so a running
// import or gc is waited for, not reported); exit 4 if anything is damaged.
// With --repair it opens the store read-write (which clears ROOT/tmp and the
// backend's half-built layers), removes container rows without a container
// and the damaged images no container uses, collects garbage, and checks
// again: exit 4 if an image was lost or damage remains.
#include <algorithm>
#include <cstdio>
#include <iterator>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/text_output.h"
#include "store/store_check.h"

namespace cairn::cli {
namespace {

Result<StoreCheck> check_quietly(const GlobalOptions& global) {
  ASSIGN_OR_RETURN(bool present, Store::exists(global.root));
  if (!present) return fail(Errc::not_found, "no store at " + global.root);
  ASSIGN_OR_RETURN(StoreLock lock, StoreLock::acquire(global.root + "/lock", LockMode::shared));
  ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_only));
  return check_store(*store);
}

void print_lines(const char* prefix, const std::vector<std::string>& lines) {
  for (const std::string& line : lines) std::printf("%s: %s\n", prefix, line.c_str());
}

std::string summary(const StoreCheck& check) {
  std::string text =
      "checked " + count(check.images, "image") + ", " + count(check.layers, "layer");
  if (check.unchecked_layers) text += " (" + std::to_string(check.unchecked_layers) + " unchecked)";
  return text + ", " + count(check.blobs, "kept blob") + ", " +
         count(check.containers, "container") + ": " + std::to_string(check.damaged.size()) +
         " damaged, " + std::to_string(check.unfinished.size()) + " unfinished";
}

nlohmann::json json_of(const StoreCheck& check) {
  return {{"images", check.images},
          {"layers", check.layers},
          {"unchecked_layers", check.unchecked_layers},
          {"blobs", check.blobs},
          {"containers", check.containers},
          {"damaged", check.damaged},
          {"unfinished", check.unfinished}};
}

Result<void> run_fsck(bool repair, const GlobalOptions& global) {
  ASSIGN_OR_RETURN(StoreCheck found, check_quietly(global));
  nlohmann::json json = json_of(found);
  bool lost = false;
  if (repair) {
    StoreRepair done;
    {
      ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_write));
      ASSIGN_OR_RETURN(done, repair_store(*store, found));
    }
    ASSIGN_OR_RETURN(StoreCheck after, check_quietly(global));
    // What the first check found unfinished and the second no longer does.
    std::vector<std::string> removed;
    std::copy_if(found.unfinished.begin(), found.unfinished.end(), std::back_inserter(removed),
                 [&](const std::string& line) {
                   return std::find(after.unfinished.begin(), after.unfinished.end(), line) ==
                          after.unfinished.end();
                 });
    lost = !done.lost.empty();
    json = json_of(after);
    json["repair"] = {{"removed", removed}, {"lost", done.lost}, {"kept", done.kept}};
    if (!global.json) {
      print_lines("removed", removed);
      print_lines("lost", done.lost);
      print_lines("kept damaged", done.kept);
    }
    found = std::move(after);
  }
  if (global.json) {
    std::printf("%s\n", json.dump().c_str());
  } else {
    print_lines("damaged", found.damaged);
    print_lines("unfinished", found.unfinished);
    std::printf("%s\n", summary(found).c_str());
  }
  if (!found.damaged.empty()) {
    return fail(Errc::digest_mismatch, "fsck: " + count(found.damaged.size(), "problem") +
                                           " with committed data (the damaged: lines)");
  }
  if (lost) {
    return fail(Errc::digest_mismatch, "fsck: repair removed damaged images (the lost: lines)");
  }
  return {};
}

}  // namespace

Action define_fsck(CLI::App& command, const GlobalOptions& global) {
  auto repair = std::make_shared<bool>(false);
  command.add_flag("--repair", *repair,
                   "Remove what interrupted commands left and damaged images, then check again");
  return [repair, &global] { return run_fsck(*repair, global); };
}

}  // namespace cairn::cli
