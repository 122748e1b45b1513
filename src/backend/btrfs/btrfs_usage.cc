// Disk usage of btrfs layer chains, as btrfs itself accounts shared extents
// (`btrfs filesystem du -s --raw PATH`: Total, Exclusive, Set shared).
#include <sstream>

#include "backend/btrfs/btrfs_backend.h"
#include "util/command.h"

namespace cairn {
namespace {

struct DuLine {
  std::uint64_t total = 0;
  std::uint64_t exclusive = 0;
  std::uint64_t shared = 0;
};

// The output is a header line, then "TOTAL EXCLUSIVE SET_SHARED PATH".
Result<DuLine> btrfs_du(const std::string& path) {
  ASSIGN_OR_RETURN(std::string out,
                   run_checked({"btrfs", "filesystem", "du", "-s", "--raw", path}));
  std::istringstream lines(out);
  std::string line;
  std::getline(lines, line);
  DuLine du;
  if (!std::getline(lines, line) ||
      !(std::istringstream(line) >> du.total >> du.exclusive >> du.shared)) {
    return fail(Errc::unsupported, "btrfs filesystem du " + path + ": unexpected output");
  }
  return du;
}

}  // namespace

Result<std::vector<UsageItem>> BtrfsBackend::image_usage(const Digest& top) {
  ASSIGN_OR_RETURN(DuLine du, btrfs_du(layers_dir() + "/" + std::string(top.hex())));
  return std::vector<UsageItem>{{"referenced_bytes", du.total},
                                {"exclusive_bytes", du.exclusive},
                                {"shared_bytes", du.shared}};
}

Result<std::vector<UsageItem>> BtrfsBackend::total_usage() {
  ASSIGN_OR_RETURN(DuLine du, btrfs_du(layers_dir()));
  return std::vector<UsageItem>{{"referenced_bytes", du.total},
                                {"exclusive_bytes", du.exclusive},
                                {"shared_bytes", du.shared},
                                {"used_bytes", du.exclusive + du.shared}};
}

}  // namespace cairn
