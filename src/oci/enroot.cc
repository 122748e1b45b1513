#include "oci/enroot.h"

#include <algorithm>
#include <ctime>
#include <limits>
#include <nlohmann/json.hpp>
#include <regex>
#include <vector>

namespace cairn {
namespace {

using Json = nlohmann::ordered_json;

// What jq -r prints for a value: strings raw, anything else as JSON.
std::string raw_text(const Json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// The strings of an array field; absent, null or not an array: none (jq's `[]?`).
std::vector<std::string> words_of(const Json& config, const char* key) {
  std::vector<std::string> words;
  auto it = config.find(key);
  if (it == config.end() || !it->is_array()) return words;
  for (const Json& word : *it) words.push_back(raw_text(word));
  return words;
}

// One sh word: 'text' with each ' written as '\''.
std::string sh_quote(const std::string& word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string sh_words(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& word : words) out += (out.empty() ? "" : " ") + sh_quote(word);
  return out;
}

// Inside sh double quotes.
std::string double_quoted_text(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '$' || c == '`' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string label_comments(const Json& config) {
  std::string out;
  auto labels = config.find("Labels");
  if (labels == config.end() || !labels->is_object()) return out;
  for (const auto& [key, value] : labels->items()) {
    std::string line = "# " + key + " " + raw_text(value);
    std::replace(line.begin(), line.end(), '\n', ' ');
    out += line + "\n";
  }
  return out.empty() ? out : out + "\n";
}

std::string rc_script(const Json& config) {
  std::string workdir;
  if (auto it = config.find("WorkingDir"); it != config.end() && it->is_string()) {
    workdir = it->get<std::string>();
  }
  std::vector<std::string> entrypoint = words_of(config, "Entrypoint");
  std::vector<std::string> cmd = words_of(config, "Cmd");
  if (entrypoint.empty() && cmd.empty()) cmd = {"/bin/sh"};
  std::string ep = sh_words(entrypoint);
  return label_comments(config) + "cd \"" + double_quoted_text(workdir.empty() ? "/" : workdir) +
         "\" && unset OLDPWD || exit 1\n"
         "\n"
         "if [ -s /etc/rc.local ]; then\n"
         "    . /etc/rc.local\n"
         "fi\n"
         "\n"
         "if [ $# -gt 0 ]; then\n"
         "    exec " +
         ep +
         " \"$@\"\n"
         "else\n"
         "    exec " +
         ep + " " + sh_words(cmd) +
         "\n"
         "fi\n";
}

std::string environment_file(const Json& config) {
  std::string out;
  for (const std::string& line : words_of(config, "Env")) out += line + "\n";
  return out;
}

std::string fstab_file(const Json& config) {
  std::vector<std::string> paths;
  if (auto it = config.find("Volumes"); it != config.end() && it->is_object()) {
    for (const auto& [path, ignored] : it->items()) paths.push_back(path);
  }
  std::sort(paths.begin(), paths.end());
  std::string out;
  for (const std::string& path : paths) {
    out += "tmpfs " + path + " tmpfs x-create=dir,rw,nosuid,nodev\n";
  }
  return out;
}

constexpr const char* k_rc_local =
    "# This file is sourced by /etc/rc when the container starts.\n"
    "# It can be used to manipulate the entrypoint or the command of the container.\n";

}  // namespace

Result<EnrootFiles> enroot_files(std::string_view config_json) {
  Json doc = Json::parse(config_json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return fail(Errc::bad_input, "image config: not a JSON object");
  }
  static const Json k_empty = Json::object();
  auto it = doc.find("config");
  const Json& config = it != doc.end() && it->is_object() ? *it : k_empty;
  return EnrootFiles{rc_script(config), environment_file(config), fstab_file(config), k_rc_local};
}

std::uint32_t config_created_seconds(std::string_view config_json) {
  Json doc = Json::parse(config_json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return 0;
  auto it = doc.find("created");
  if (it == doc.end() || !it->is_string()) return 0;
  static const std::regex k_rfc3339(
      R"(^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$)");
  std::smatch m;
  const std::string text = it->get<std::string>();
  if (!std::regex_match(text, m, k_rfc3339)) return 0;
  std::tm tm{};
  tm.tm_year = std::stoi(m[1]) - 1900;
  tm.tm_mon = std::stoi(m[2]) - 1;
  tm.tm_mday = std::stoi(m[3]);
  tm.tm_hour = std::stoi(m[4]);
  tm.tm_min = std::stoi(m[5]);
  tm.tm_sec = std::stoi(m[6]);
  long long seconds = ::timegm(&tm);
  if (m[9].matched) {
    long long offset = std::stoll(m[10]) * 3600 + std::stoll(m[11]) * 60;
    seconds -= m[9] == "+" ? offset : -offset;
  }
  return static_cast<std::uint32_t>(
      std::clamp<long long>(seconds, 0, std::numeric_limits<std::uint32_t>::max()));
}

Result<std::string> cairn_uri_from_enroot(std::string_view uri) {
  constexpr std::string_view k_docker = "docker://";
  if (!uri.starts_with(k_docker)) return std::string(uri);
  // enroot's form: docker://[USER@][REGISTRY#]IMAGE[:TAG]
  static const std::regex k_form(
      R"(^docker://(([A-Za-z0-9_.!~*'()%;:&=+$,-]+)@)?(([^#]+)#)?([a-z0-9/._-]+)(:([A-Za-z0-9._-]+))?$)");
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_match(uri.begin(), uri.end(), m, k_form)) {
    return fail(Errc::usage, "image URI \"" + std::string(uri) +
                                 "\": expected docker://[USER@][REGISTRY#]IMAGE[:TAG]");
  }
  std::string out(k_docker);
  if (m[4].matched) out += m[4].str() + "/";
  out += m[5].str();
  if (m[7].matched) out += ":" + m[7].str();
  return out;
}

}  // namespace cairn
