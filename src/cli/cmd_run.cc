// `cairn run [--rm] [--name N] [-e K=V]... [-v SRC:DST[:ro]]... [--workdir D]
// [--user U] [-t] IMAGE [-- CMD...]`: a container of IMAGE, run in the
// foreground with crun. The steps (doc/run.md):
//   1. create the container (store lock held only for that);
//   2. enter a mount namespace of cairn's own (private propagation), where
//      the backend makes the container's root available — composefs mounts
//      its detached EROFS + overlay stack there — so the host's mount table
//      gains nothing and the mounts go with the namespace;
//   3. write the bundle (ROOT/run/NAME/config.json) from the image config;
//   4. crun run, signals forwarded, its exit status becomes cairn's
//      (steps 2-3 happen in the child that then execs crun, so cairn itself
//      stays in the host's namespace and can remove the container after);
//   5. remove the bundle, and the container with --rm.
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>

#include "cli/command.h"
#include "cli/container_process.h"
#include "cli/runtime_bundle.h"
#include "util/sys.h"

namespace cairn::cli {
namespace {

struct RunArgs {
  std::string image;
  std::string name;
  bool remove = false;
  bool terminal = false;
  std::vector<std::string> env;
  std::vector<std::string> volumes;
  std::string workdir;
  std::string user;
  std::vector<std::string> command;
};

std::string random_name() {
  std::random_device random;
  char buf[32];
  std::snprintf(buf, sizeof buf, "run-%08x%04x", random(), random() & 0xffff);
  return buf;
}

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (size_t begin = 0; begin <= dirs.size();) {
    size_t end = std::min(dirs.find(':', begin), dirs.size());
    std::string candidate = dirs.substr(begin, end - begin) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return true;
    begin = end + 1;
  }
  return false;
}

// On a hybrid cgroup host (v1 controllers, v2 at /sys/fs/cgroup/unified with
// controllers of its own) crun 1.8 refuses to run anything; in cairn's own
// namespace the v2 mount is hidden, so crun sees a v1 host (doc/run.md).
void hide_hybrid_cgroup2() {
  const char* unified = "/sys/fs/cgroup/unified";
  auto controllers = sys::read_file(std::string(unified) + "/cgroup.controllers", 4096);
  if (controllers && controllers->find_first_not_of(" \n") != std::string::npos) {
    ::umount2(unified, MNT_DETACH);
  }
}

// From here on, mounts made by this process are its own (step 2).
Result<void> enter_private_mount_namespace() {
  if (::unshare(CLONE_NEWNS) != 0) return fail_errno(errno, "unshare(CLONE_NEWNS)");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return fail_errno(errno, "make / private in cairn's mount namespace");
  }
  hide_hybrid_cgroup2();
  return {};
}

Result<RunSpec> spec_of(const RunArgs& args, const std::string& name) {
  RunSpec spec{.command = args.command,
               .env = args.env,
               .volumes = {},
               .workdir = args.workdir,
               .user = args.user,
               .terminal = args.terminal,
               .hostname = name};
  for (const std::string& text : args.volumes) {
    ASSIGN_OR_RETURN(VolumeSpec volume, parse_volume(text));
    spec.volumes.push_back(std::move(volume));
  }
  for (const std::string& item : args.env) {
    if (item.find('=') == std::string::npos || item.front() == '=') {
      return fail(Errc::usage, "-e " + item + ": expected NAME=VALUE");
    }
  }
  return spec;
}

// Steps 2-3, in the child that becomes crun: the container's root in a
// mount namespace of its own, and the bundle's config.json.
Result<void> prepare_bundle(const nlohmann::json& image_config, const RunSpec& spec,
                            const std::string& name, const std::string& bundle,
                            const GlobalOptions& global) {
  TRY(enter_private_mount_namespace());
  ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_only));
  ASSIGN_OR_RETURN(std::string rootfs, store->backend().mount_container(name, ""));
  std::string user = spec.user;
  if (user.empty() && image_config.is_object() && image_config["config"].is_object()) {
    user = image_config["config"].value("User", "");
  }
  ASSIGN_OR_RETURN(UserIds ids, resolve_user(user, rootfs));
  ASSIGN_OR_RETURN(nlohmann::json config, runtime_config(image_config, spec, ids, rootfs));
  return sys::write_file_atomic(bundle + "/config.json", config.dump(2));
}

// Steps 2-4: the container's exit status.
Result<int> run_container(const RunArgs& args, const ImageRecord& image, const std::string& name,
                          const std::string& run_dir, const GlobalOptions& global) {
  ASSIGN_OR_RETURN(RunSpec spec, spec_of(args, name));
  const nlohmann::json image_config = nlohmann::json::parse(image.config, nullptr, false);
  const std::string bundle = run_dir + "/" + name;
  TRY(sys::make_dirs(bundle, 0700));
  RuntimeCommand command{
      .argv = {"crun", "--root", run_dir + "/crun", "--cgroup-manager=disabled", "run", "--bundle",
               bundle, name},
      .terminal = args.terminal ? Terminal::pty : Terminal::inherit,
      .stop_signal = stop_signal(image_config),
      .prepare_child = [&] { return prepare_bundle(image_config, spec, name, bundle, global); }};
  auto status = run_in_foreground(command);
  (void)sys::remove_tree(bundle);
  return status;
}

Result<int> run_run(const RunArgs& args, const GlobalOptions& global) {
  if (!on_path("crun")) {
    return fail(Errc::not_found, "crun is not installed (Debian: apt-get install crun)");
  }
  std::string name = args.name.empty() ? random_name() : args.name;
  std::optional<ImageRecord> image;
  std::string run_dir;
  {
    ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_write));
    ASSIGN_OR_RETURN(image, store->metadata().resolve_image(args.image));
    TRY(store->create_container(*image, name));
    run_dir = store->root() + "/run";
  }
  auto status = run_container(args, *image, name, run_dir, global);
  if (args.remove) {
    ASSIGN_OR_RETURN(auto store, open_store(global, Access::read_write));
    TRY(store->remove_container(name));
  }
  return status;
}

}  // namespace

Action define_run(CLI::App& command, const GlobalOptions& global) {
  auto args = std::make_shared<RunArgs>();
  command.add_flag("--rm", args->remove, "Remove the container when it exits");
  command.add_option("--name", args->name, "Container name")->default_str("run-<random hex>");
  command.add_option("-e,--env", args->env, "NAME=VALUE for the process (repeatable)")
      ->allow_extra_args(false);
  command
      .add_option("-v,--volume", args->volumes,
                  "HOST_PATH:/CONTAINER_PATH[:ro|rw] bind mount (repeatable)")
      ->allow_extra_args(false);
  command.add_option("-w,--workdir", args->workdir, "Working directory")
      ->default_str("the image's WorkingDir, else /");
  command.add_option("-u,--user", args->user, "uid[:gid] or name[:group] from the image")
      ->default_str("the image's User, else 0:0");
  command.add_flag("-t,--tty", args->terminal, "Give the container a terminal (a pty)");
  command.add_option("image", args->image, "Image name or id")->required();
  command.add_option("command", args->command, "Command and arguments (after --)");
  // everything after IMAGE belongs to the command, options too (podman run's rule)
  command.prefix_command();
  command.footer(command.get_footer() +
                 "\nExit status: the container process's (128 + N when signal N ended it).");
  return [args, &global]() -> Result<void> {
    ASSIGN_OR_RETURN(int status, run_run(*args, global));
    if (status != 0) {
      std::fflush(stdout);
      std::exit(status);
    }
    return {};
  };
}

}  // namespace cairn::cli
