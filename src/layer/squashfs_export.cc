#include "layer/squashfs_export.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <set>
#include <utility>

#include "util/command.h"
#include "util/sys.h"

namespace cairn {
namespace {

// A word for /bin/sh, which runs a pseudo file's command.
std::string sh_quote(const std::string& word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string octal(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Pseudo definitions for the extras' missing parent directories; fails if a
// parent exists but is not a directory.
Result<std::string> parent_definitions(const std::string& root,
                                       const std::vector<SquashfsExtra>& extras,
                                       const std::string& time) {
  std::set<std::string> parents;
  for (const SquashfsExtra& extra : extras) {
    std::string parent = sys::dirname(extra.path);
    if (parent != "." && !parent.empty()) parents.insert(parent);
  }
  std::string defs;
  for (const std::string& parent : parents) {
    ASSIGN_OR_RETURN(bool present, sys::exists(root + "/" + parent));
    if (!present) {
      defs += parent + " D " + time + " 755 0 0\n";
      continue;
    }
    ASSIGN_OR_RETURN(struct stat st, sys::lstat(root + "/" + parent));
    if (!S_ISDIR(st.st_mode)) {
      return fail(Errc::unsupported, "squashfs export: /" + parent + " is not a directory");
    }
  }
  return defs;
}

}  // namespace

Result<void> write_squashfs(const std::string& root, const std::vector<SquashfsExtra>& extras,
                            std::uint32_t time, const std::string& staging_dir,
                            const std::string& output) {
  const std::string when = std::to_string(time);
  ASSIGN_OR_RETURN(std::string defs, parent_definitions(root, extras, when));
  std::vector<std::string> excluded;
  for (size_t i = 0; i < extras.size(); ++i) {
    const SquashfsExtra& extra = extras[i];
    std::string staged = staging_dir + "/extra-" + std::to_string(i);
    TRY(sys::write_file_atomic(staged, extra.content, 0600));
    defs +=
        extra.path + " F " + when + " " + octal(extra.mode) + " 0 0 cat " + sh_quote(staged) + "\n";
    ASSIGN_OR_RETURN(bool present, sys::exists(root + "/" + extra.path));
    if (present) excluded.push_back(extra.path);
  }
  const std::string defs_path = staging_dir + "/pseudo";
  TRY(sys::write_file_atomic(defs_path, defs, 0600));
  std::vector<std::string> argv = {
      "env",          "-u",     "SOURCE_DATE_EPOCH", "mksquashfs", root, output,       "-noappend",
      "-no-progress", "-quiet", "-exit-on-error",    "-mkfs-time", when, "-root-time", when,
      "-pf",          defs_path};
  if (!excluded.empty()) {
    argv.push_back("-e");  // must come last: every later argument is a path to leave out
    argv.insert(argv.end(), excluded.begin(), excluded.end());
  }
  ASSIGN_OR_RETURN(CommandOutput ran, run_command(argv));
  if (ran.exit_status == 127) {
    // exit 1, like a missing on-demand library (doc/cli.md)
    return fail_errno(ELIBACC, "run mksquashfs (package squashfs-tools): not found on PATH");
  }
  TRY(checked_output(argv, std::move(ran)));
  return {};
}

}  // namespace cairn
