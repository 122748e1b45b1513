#include "source/registry_auth.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "util/sys.h"
#include "util/warning.h"

namespace cairn {
namespace {

using Json = nlohmann::json;

constexpr size_t k_max_credential_file = 1 << 20;
constexpr std::string_view k_base64_chars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string env_or(const char* name, std::string_view fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::string(value) : std::string(fallback);
}

bool is_docker_hub_alias(std::string_view host) {
  return host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io" ||
         host == "auth.docker.io";
}

bool same_registry(std::string_view a, std::string_view b) {
  return a == b || (is_docker_hub_alias(a) && is_docker_hub_alias(b));
}

// "https://host/v1/" -> {"host", ""}; "host/ns/repo" -> {"host", "ns/repo"}.
std::pair<std::string_view, std::string_view> split_auth_key(std::string_view key) {
  for (std::string_view scheme : {"https://", "http://"}) {
    if (key.starts_with(scheme)) key.remove_prefix(scheme.size());
  }
  while (key.ends_with('/')) key.remove_suffix(1);
  size_t slash = key.find('/');
  if (slash == std::string_view::npos) return {key, {}};
  std::string_view path = key.substr(slash + 1);
  if (path == "v1" || path == "v2") path = {};
  return {key.substr(0, slash), path};
}

Result<Credentials> decode_auth_entry(const Json& entry, const std::string& what) {
  auto bad = [&](std::string_view why) {
    return fail(Errc::bad_input, what + ": " + std::string(why));
  };
  if (!entry.is_object()) return bad("entry is not an object");
  auto auth = entry.find("auth");
  if (auth != entry.end() && auth->is_string() && !auth->get<std::string>().empty()) {
    auto decoded = base64_decode(auth->get<std::string>());
    if (!decoded) return bad("\"auth\" is not base64");
    size_t colon = decoded->find(':');
    if (colon == std::string::npos) return bad("\"auth\" is not user:password");
    return Credentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
  }
  auto user = entry.find("username");
  auto pass = entry.find("password");
  if (user != entry.end() && pass != entry.end() && user->is_string() && pass->is_string()) {
    return Credentials{user->get<std::string>(), pass->get<std::string>()};
  }
  return bad("entry has neither \"auth\" nor username/password");
}

bool repo_prefix_matches(std::string_view prefix, std::string_view repository) {
  return repository == prefix ||
         (repository.starts_with(prefix) && repository[prefix.size()] == '/');
}

Result<std::optional<Credentials>> lookup_auth_json(const std::string& path,
                                                    const std::string& text,
                                                    std::string_view domain,
                                                    std::string_view repository) {
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return fail(Errc::bad_input, path + ": malformed JSON");
  }
  auto auths = doc.find("auths");
  if (auths == doc.end() || !auths->is_object()) return std::optional<Credentials>();
  const Json* best = nullptr;
  std::string best_key;
  size_t best_len = 0;
  for (const auto& [key, entry] : auths->items()) {
    auto [host, prefix] = split_auth_key(key);
    if (!same_registry(host, domain)) continue;
    if (!prefix.empty() && !repo_prefix_matches(prefix, repository)) continue;
    if (best && prefix.size() + 1 <= best_len) continue;
    best = &entry;
    best_key = key;
    best_len = prefix.size() + 1;
  }
  if (!best) return std::optional<Credentials>();
  ASSIGN_OR_RETURN(Credentials creds,
                   decode_auth_entry(*best, path + ": auths \"" + best_key + "\""));
  return std::optional<Credentials>(std::move(creds));
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) words.emplace_back(text.substr(start, i - start));
  }
  return words;
}

bool netrc_machine_matches(std::string_view machine, std::string_view domain) {
  if (same_registry(machine, domain)) return true;
  size_t colon = domain.rfind(':');
  return colon != std::string_view::npos && machine == domain.substr(0, colon);
}

// netrc: "machine M login L password P" and "default login L password P".
Result<std::optional<Credentials>> lookup_netrc(const std::string& path, const std::string& text,
                                                std::string_view domain) {
  std::vector<std::string> words = split_words(text);
  std::optional<Credentials> fallback;
  for (size_t i = 0; i < words.size();) {
    bool is_default = words[i] == "default";
    if (!is_default && words[i] != "machine") {
      return fail(Errc::bad_input, path + ": unexpected \"" + words[i].substr(0, 64) + "\"");
    }
    size_t j = is_default ? i + 1 : i + 2;
    if (j > words.size()) return fail(Errc::bad_input, path + ": \"machine\" without a name");
    Credentials creds;
    for (; j + 1 < words.size() && words[j] != "machine" && words[j] != "default"; j += 2) {
      if (words[j] == "login") creds.username = words[j + 1];
      if (words[j] == "password") creds.password = words[j + 1];
    }
    if (is_default) {
      if (!fallback) fallback = creds;
    } else if (netrc_machine_matches(words[i + 1], domain)) {
      return std::optional<Credentials>(std::move(creds));
    }
    i = j;
  }
  return fallback;
}

// Like ssh and netrc readers: a file whose secrets other users can read is named (never its
// contents) so that its owner can close it.
void warn_if_others_can_read(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || (st.st_mode & 077) == 0) return;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  warn_once("credentials file " + path + " can be read by other users (mode " + mode +
            "); chmod 600 it");
}

int base64_value(char c) {
  size_t pos = k_base64_chars.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

}  // namespace

std::vector<CredentialFile> default_credential_files() {
  std::string home = env_or("HOME", "/root");
  std::string runtime = env_or("XDG_RUNTIME_DIR", "/run/user/" + std::to_string(::getuid()));
  std::string config_home = env_or("XDG_CONFIG_HOME", home + "/.config");
  return {
      {env_or("REGISTRY_AUTH_FILE", runtime + "/containers/auth.json"),
       CredentialFormat::auth_json},
      {env_or("DOCKER_CONFIG", home + "/.docker") + "/config.json", CredentialFormat::auth_json},
      {env_or("ENROOT_CONFIG_PATH", config_home + "/enroot") + "/.credentials",
       CredentialFormat::netrc},
  };
}

Result<std::optional<Credentials>> find_credentials(const std::vector<CredentialFile>& files,
                                                    std::string_view domain,
                                                    std::string_view repository) {
  for (const CredentialFile& file : files) {
    ASSIGN_OR_RETURN(bool present, sys::exists(file.path));
    if (!present) continue;
    ASSIGN_OR_RETURN(std::string text, sys::read_file(file.path, k_max_credential_file));
    std::optional<Credentials> found;
    if (file.format == CredentialFormat::auth_json) {
      ASSIGN_OR_RETURN(found, lookup_auth_json(file.path, text, domain, repository));
    } else {
      ASSIGN_OR_RETURN(found, lookup_netrc(file.path, text, domain));
    }
    if (found) {
      warn_if_others_can_read(file.path);
      return found;
    }
  }
  return std::optional<Credentials>();
}

Result<AuthChallenge> parse_auth_challenge(std::string_view header) {
  size_t space = header.find(' ');
  std::string scheme(header.substr(0, space));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  AuthChallenge challenge;
  if (scheme == "bearer") {
    challenge.scheme = AuthChallenge::Scheme::bearer;
  } else if (scheme != "basic") {
    return fail(Errc::unsupported, "authentication scheme \"" + scheme.substr(0, 32) + "\"");
  }
  std::string_view rest = space == std::string_view::npos ? "" : header.substr(space + 1);
  while (!rest.empty()) {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == ',')) rest.remove_prefix(1);
    size_t eq = rest.find('=');
    if (eq == std::string_view::npos) break;
    std::string key(rest.substr(0, eq));
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    rest.remove_prefix(eq + 1);
    std::string value;
    if (!rest.empty() && rest.front() == '"') {
      size_t close = rest.find('"', 1);
      if (close == std::string_view::npos) {
        return fail(Errc::bad_input, "WWW-Authenticate: unterminated quoted value");
      }
      value = std::string(rest.substr(1, close - 1));
      rest.remove_prefix(close + 1);
    } else {
      size_t end = rest.find(',');
      value = std::string(rest.substr(0, end));
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
    }
    challenge.params[key] = std::move(value);
  }
  return challenge;
}

namespace {

// `actions` ("pull,push") with those of `wanted` added, each action once, in
// the order first seen.
std::string merge_actions(std::string_view actions, std::string_view wanted) {
  std::vector<std::string> merged;
  for (std::string_view list : {actions, wanted}) {
    while (!list.empty()) {
      size_t comma = list.find(',');
      std::string action(list.substr(0, comma));
      list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
      if (!action.empty() && std::find(merged.begin(), merged.end(), action) == merged.end()) {
        merged.push_back(std::move(action));
      }
    }
  }
  std::string out;
  for (const std::string& action : merged) out += (out.empty() ? "" : ",") + action;
  return out;
}

}  // namespace

std::string token_scope_for(std::string_view challenge_scope, std::string_view repository,
                            RegistryAccess access) {
  std::string_view wanted = access == RegistryAccess::push ? "pull,push" : "pull";
  std::string prefix = "repository:" + std::string(repository) + ":";
  if (access == RegistryAccess::pull && !challenge_scope.empty())
    return std::string(challenge_scope);
  std::string out;
  bool found = false;
  for (const std::string& entry : split_words(challenge_scope)) {
    std::string merged = entry;
    if (entry.starts_with(prefix) && entry.find(':', prefix.size()) == std::string::npos) {
      merged = prefix + merge_actions(std::string_view(entry).substr(prefix.size()), wanted);
      found = true;
    }
    out += (out.empty() ? "" : " ") + merged;
  }
  if (!found) out += (out.empty() ? "" : " ") + prefix + std::string(wanted);
  return out;
}

Result<std::string> base64_decode(std::string_view text) {
  while (text.ends_with('=')) text.remove_suffix(1);
  std::string out;
  unsigned bits = 0;
  int nbits = 0;
  for (char c : text) {
    int v = base64_value(c);
    if (v < 0) return fail(Errc::bad_input, "invalid base64");
    bits = (bits << 6) | static_cast<unsigned>(v);
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      out.push_back(static_cast<char>((bits >> nbits) & 0xff));
    }
  }
  return out;
}

std::string base64_encode(std::string_view data) {
  std::string out;
  unsigned bits = 0;
  int nbits = 0;
  for (char c : data) {
    bits = (bits << 8) | static_cast<unsigned char>(c);
    nbits += 8;
    while (nbits >= 6) {
      nbits -= 6;
      out.push_back(k_base64_chars[(bits >> nbits) & 0x3f]);
    }
  }
  if (nbits > 0) out.push_back(k_base64_chars[(bits << (6 - nbits)) & 0x3f]);
  while (out.size() % 4 != 0) out.push_back('=');
  return out;
}

}  // namespace cairn
