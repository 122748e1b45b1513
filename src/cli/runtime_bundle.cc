#include "cli/runtime_bundle.h"

#include <signal.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "util/sys.h"

namespace cairn::cli {
namespace {

const nlohmann::json& section(const nlohmann::json& image_config) {
  static const nlohmann::json empty = nlohmann::json::object();
  auto it = image_config.find("config");
  return it != image_config.end() && it->is_object() ? *it : empty;
}

std::vector<std::string> strings_at(const nlohmann::json& object, const char* key) {
  std::vector<std::string> out;
  auto it = object.find(key);
  if (it == object.end() || !it->is_array()) return out;
  for (const auto& item : *it) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

std::string string_at(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

std::optional<unsigned> number(std::string_view text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// The fields of the line of FILE (passwd or group form) whose field KEY_FIELD
// is NAME: 0 to look up a name, 2 an id.
std::optional<std::vector<std::string>> entry_of(const std::string& file, const std::string& name,
                                                 size_t key_field) {
  auto text = sys::read_file(file, 1 << 22);
  if (!text) return std::nullopt;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> fields;
    std::stringstream parts(line);
    for (std::string field; std::getline(parts, field, ':');) fields.push_back(field);
    if (fields.size() >= 3 && fields[key_field] == name) return fields;
  }
  return std::nullopt;
}

Result<unsigned> group_id(const std::string& group, const std::string& rootfs) {
  if (auto id = number(group)) return *id;
  auto entry = entry_of(rootfs + "/etc/group", group, 0);
  if (!entry) return fail(Errc::not_found, "group " + group + " (not in the image's /etc/group)");
  if (auto id = number((*entry)[2])) return *id;
  return fail(Errc::bad_input, "group " + group + ": bad /etc/group entry");
}

void merge_env(std::vector<std::string>& env, const std::string& item) {
  std::string key = item.substr(0, item.find('='));
  std::erase_if(env, [&](const std::string& e) { return e.substr(0, e.find('=')) == key; });
  env.push_back(item);
}

nlohmann::json mount(const char* destination, const char* type, const char* source,
                     std::vector<std::string> options) {
  return {{"destination", destination},
          {"type", type},
          {"source", source},
          {"options", std::move(options)}};
}

nlohmann::json standard_mounts() {
  return nlohmann::json::array({
      mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      mount("/dev/pts", "devpts", "devpts",
            {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
      mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
  });
}

// docker's default capability set.
const std::vector<std::string> k_capabilities = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE"};

}  // namespace

Result<VolumeSpec> parse_volume(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ':');) parts.push_back(part);
  bool mode = parts.size() == 3 && (parts[2] == "ro" || parts[2] == "rw");
  if ((parts.size() != 2 && !mode) || parts[0].empty() || parts[1].empty() || parts[1][0] != '/') {
    return fail(Errc::usage, "-v " + text + ": expected HOST_PATH:/CONTAINER_PATH[:ro|rw]");
  }
  std::error_code ec;
  std::string source = std::filesystem::absolute(parts[0], ec).lexically_normal().string();
  if (ec) return fail(Errc::usage, "-v " + text + ": " + ec.message());
  return VolumeSpec{source, parts[1], mode && parts[2] == "ro"};
}

Result<UserIds> resolve_user(const std::string& user, const std::string& rootfs) {
  if (user.empty()) return UserIds{};
  std::string name = user.substr(0, user.find(':'));
  std::optional<std::string> group;
  if (user.find(':') != std::string::npos) group = user.substr(user.find(':') + 1);
  UserIds ids;
  auto passwd = number(name) ? entry_of(rootfs + "/etc/passwd", name, 2)
                             : entry_of(rootfs + "/etc/passwd", name, 0);
  if (auto uid = number(name)) {
    ids.uid = *uid;
  } else if (!passwd || !number((*passwd)[2])) {
    return fail(Errc::not_found, "user " + name + " (not in the image's /etc/passwd)");
  } else {
    ids.uid = *number((*passwd)[2]);
  }
  if (group) {
    ASSIGN_OR_RETURN(ids.gid, group_id(*group, rootfs));
  } else if (passwd && passwd->size() > 3 && number((*passwd)[3])) {
    ids.gid = *number((*passwd)[3]);
  }
  return ids;
}

Result<nlohmann::json> runtime_config(const nlohmann::json& image_config, const RunSpec& run,
                                      const UserIds& user, const std::string& rootfs) {
  const nlohmann::json& config = section(image_config);
  std::vector<std::string> args = strings_at(config, "Entrypoint");
  std::vector<std::string> command = run.command.empty() ? strings_at(config, "Cmd") : run.command;
  args.insert(args.end(), command.begin(), command.end());
  if (args.empty()) {
    return fail(Errc::usage, "the image has no Entrypoint or Cmd: give a command after --");
  }
  std::vector<std::string> env = strings_at(config, "Env");
  if (std::none_of(env.begin(), env.end(),
                   [](const std::string& e) { return e.starts_with("PATH="); })) {
    env.insert(env.begin(), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  }
  if (run.terminal) merge_env(env, "TERM=xterm");
  for (const std::string& item : run.env) merge_env(env, item);
  std::string cwd = !run.workdir.empty() ? run.workdir : string_at(config, "WorkingDir");
  nlohmann::json caps = k_capabilities;
  nlohmann::json process = {
      {"terminal", false},  // cairn hands crun a pty of its own for -t (doc/run.md)
      {"user", {{"uid", user.uid}, {"gid", user.gid}}},
      {"args", args},
      {"env", env},
      {"cwd", cwd.empty() ? "/" : cwd},
      {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
      {"noNewPrivileges", false}};
  nlohmann::json mounts = standard_mounts();
  for (const VolumeSpec& volume : run.volumes) {
    mounts.push_back(mount(volume.destination.c_str(), "bind", volume.source.c_str(),
                           {"rbind", volume.read_only ? "ro" : "rw"}));
  }
  nlohmann::json namespaces = nlohmann::json::array(
      {{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}});
  return nlohmann::json{
      {"ociVersion", "1.0.2"},
      {"process", std::move(process)},
      {"root", {{"path", rootfs}, {"readonly", false}}},
      {"hostname", run.hostname},
      {"mounts", std::move(mounts)},
      {"linux",
       {{"namespaces", std::move(namespaces)},
        {"maskedPaths",
         {"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
          "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}},
        {"readonlyPaths",
         {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}}};
}

int stop_signal(const nlohmann::json& image_config) {
  std::string name = string_at(section(image_config), "StopSignal");
  if (name.starts_with("SIG")) name = name.substr(3);
  if (auto n = number(name)) return static_cast<int>(*n);
  for (int sig = 1; sig < NSIG; ++sig) {
    const char* abbrev = ::sigabbrev_np(sig);
    if (abbrev && name == abbrev) return sig;
  }
  return SIGTERM;
}

}  // namespace cairn::cli
