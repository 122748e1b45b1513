#include "source/docker_engine.h"

#include <cerrno>
#include <nlohmann/json.hpp>

#include "util/sys.h"

namespace cairn {
namespace {

constexpr size_t k_max_response = 4 << 20;
constexpr std::string_view k_unix_scheme = "unix://";
constexpr std::string_view k_default_socket = "/var/run/docker.sock";

// The context config.json selects; "" when none (or no readable file).
std::string current_context(const std::string& config_dir) {
  if (config_dir.empty()) return "";
  auto text = sys::read_file(config_dir + "/config.json");
  if (!text) return "";
  auto json = nlohmann::json::parse(*text, nullptr, false);
  if (!json.is_object()) return "";
  auto context = json.find("currentContext");
  return context != json.end() && context->is_string() ? context->get<std::string>() : "";
}

std::string daemon_message(const std::string& body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_object() && json.contains("message") && json["message"].is_string()) {
    return json["message"].get<std::string>();
  }
  return body.empty() ? "(no message)" : body;
}

Result<Digest> digest_field(const nlohmann::json& json, const char* what) {
  if (!json.is_string()) return fail(Errc::bad_input, std::string(what) + " is not a string");
  return Digest::parse(json.get<std::string>());
}

// The fields of an image inspect response that the layer store needs.
Result<EngineImage> parse_image(const nlohmann::json& json) {
  ASSIGN_OR_RETURN(Digest id, digest_field(json["Id"], "Id"));
  EngineImage image{id, {}};
  auto tags = json.find("RepoTags");
  if (tags != json.end() && tags->is_array()) {
    for (const nlohmann::json& tag : *tags) {
      if (tag.is_string()) image.repo_tags.push_back(tag.get<std::string>());
    }
  }
  return image;
}

}  // namespace

std::optional<std::string> local_docker_socket(const DockerEnvironment& env) {
  if (!env.host.empty()) {
    if (!env.host.starts_with(k_unix_scheme)) return std::nullopt;
    return env.host.substr(k_unix_scheme.size());
  }
  std::string context = env.context.empty() ? current_context(env.config_dir) : env.context;
  if (!context.empty() && context != "default") return std::nullopt;
  return std::string(k_default_socket);
}

Result<std::string> DockerEngine::get(const std::string& path) {
  HttpRequest request{
      .url = "http://docker" + path, .headers = {}, .tls = TlsVerify::yes, .unix_socket = m_socket};
  HttpResult result = m_http.get(request, nullptr, k_max_response);
  std::string where = "docker daemon at " + m_socket + ": GET " + path;
  if (result.failure != HttpFailure::none) {
    return fail_errno(ECONNREFUSED, where + ": " + result.error);
  }
  long status = result.response.status;
  if (status == 404) return fail(Errc::not_found, daemon_message(result.response.body));
  if (status != 200) {
    return fail_errno(EIO, where + ": HTTP " + std::to_string(status) + ": " +
                               daemon_message(result.response.body));
  }
  return std::move(result.response.body);
}

Result<EngineInfo> DockerEngine::info() {
  ASSIGN_OR_RETURN(std::string body, get("/info"));
  auto json = nlohmann::json::parse(body, nullptr, false);
  EngineInfo info;
  if (json.is_object()) {
    info.root_dir = json.value("DockerRootDir", "");
    info.driver = json.value("Driver", "");
  }
  if (info.root_dir.empty() || info.driver.empty()) {
    return fail(Errc::bad_input,
                "docker daemon at " + m_socket + ": /info without DockerRootDir or Driver");
  }
  return info;
}

Result<EngineImage> DockerEngine::inspect_image(std::string_view name) {
  ASSIGN_OR_RETURN(std::string body, get("/images/" + url_escape(name) + "/json"));
  std::string where = "docker daemon at " + m_socket + ": image " + std::string(name);
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object() || !json.contains("Id")) {
    return fail(Errc::bad_input, where + ": inspect without Id");
  }
  auto image = parse_image(json);
  if (!image) return fail(std::move(image).error().wrap(where));
  return image;
}

}  // namespace cairn
