#include "support/registry_fixture.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "oci/media_types.h"
#include "support/http_server.h"
#include "util/sys.h"

extern char** environ;

namespace cairn::test {
namespace {

using Json = nlohmann::json;

Json descriptor(const TestBlob& blob) {
  return {
      {"mediaType", blob.media_type}, {"digest", blob.digest.str()}, {"size", blob.data.size()}};
}

Json platform_json(const Platform& p) {
  Json j = {{"os", p.os}, {"architecture", p.architecture}};
  if (!p.variant.empty()) j["variant"] = p.variant;
  return j;
}

std::string filler(size_t size, const std::string& seed) {
  std::string out;
  out.reserve(size);
  std::string block = seed;
  while (out.size() < size) {
    block = Digest::of(block).str();
    out.append(block, 0, std::min(block.size(), size - out.size()));
  }
  return out;
}

size_t collect(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t location_header(char* data, size_t size, size_t count, void* user) {
  std::string line(data, size * count);
  if (line.size() > 9 && strncasecmp(line.c_str(), "location:", 9) == 0) {
    size_t start = line.find_first_not_of(' ', 9);
    size_t end = line.find_last_not_of("\r\n");
    *static_cast<std::string*>(user) = line.substr(start, end + 1 - start);
  }
  return size * count;
}

struct CurlResult {
  long status = 0;
  std::string location;
  std::string body;
};

// One request to the registry with the fixture's credentials.
Result<CurlResult> request(const std::string& method, const std::string& url,
                           const std::optional<Credentials>& user, const std::string& content_type,
                           const std::string& body) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  curl_slist* headers = nullptr;
  if (!content_type.empty())
    headers = curl_slist_append(headers, ("Content-Type: " + content_type).c_str());
  CurlResult result;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, location_header);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &result.location);
  if (method != "GET") {
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  std::string userpwd = user ? user->username + ":" + user->password : "";
  if (user) curl_easy_setopt(curl.get(), CURLOPT_USERPWD, userpwd.c_str());
  CURLcode code = curl_easy_perform(curl.get());
  curl_slist_free_all(headers);
  if (code != CURLE_OK)
    return fail(Errc::bad_input, method + " " + url + ": " + curl_easy_strerror(code));
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &result.status);
  return result;
}

Result<std::string> htpasswd_line(const Credentials& user) {
  std::string cmd = "htpasswd -Bbn '" + user.username + "' '" + user.password + "'";
  std::unique_ptr<FILE, decltype(&pclose)> pipe(popen(cmd.c_str(), "r"), pclose);
  if (!pipe) return fail_errno(errno, "popen htpasswd");
  std::string out;
  char buf[256];
  while (fgets(buf, sizeof buf, pipe.get())) out += buf;
  if (out.find(':') == std::string::npos) return fail(Errc::bad_input, "htpasswd: no output");
  return out.substr(0, out.find('\n'));
}

Result<std::string> write_config(const std::string& dir, int port,
                                 const std::optional<Credentials>& user) {
  std::string yaml =
      "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
      "    rootdirectory: " +
      dir +
      "/data\n"
      "http:\n  addr: 127.0.0.1:" +
      std::to_string(port) + "\n";
  if (user) {
    ASSIGN_OR_RETURN(std::string line, htpasswd_line(*user));
    TRY(sys::write_file_atomic(dir + "/htpasswd", line + "\n"));
    yaml += "auth:\n  htpasswd:\n    realm: cairn-test\n    path: " + dir + "/htpasswd\n";
  }
  TRY(sys::write_file_atomic(dir + "/config.yml", yaml));
  return dir + "/config.yml";
}

Result<pid_t> spawn_registry(const std::string& config, const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::string arg0 = DockerRegistry::k_binary, arg1 = "serve", arg2 = config;
  char* argv[] = {arg0.data(), arg1.data(), arg2.data(), nullptr};
  pid_t pid = 0;
  int err = posix_spawn(&pid, DockerRegistry::k_binary, &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) return fail_errno(err, "posix_spawn docker-registry");
  return pid;
}

}  // namespace

TestBlob make_blob(std::string media_type, std::string data) {
  Digest digest = Digest::of(data);
  return TestBlob{std::move(media_type), std::move(data), std::move(digest)};
}

TestImage make_test_image(ManifestFlavor flavor, const std::vector<std::string>& layer_types,
                          const Platform& platform, size_t layer_size, const std::string& seed) {
  bool oci = flavor == ManifestFlavor::oci;
  std::vector<TestBlob> layers;
  Json diff_ids = Json::array();
  std::vector<Digest> diffs;
  for (size_t i = 0; i < layer_types.size(); ++i) {
    layers.push_back(make_blob(layer_types[i], filler(layer_size, seed + std::to_string(i))));
    diffs.push_back(Digest::of("diff " + seed + std::to_string(i)));
    diff_ids.push_back(diffs.back().str());
  }
  Json config = platform_json(platform);
  config["rootfs"] = {{"type", "layers"}, {"diff_ids", diff_ids}};
  config["config"] = {{"Env", {"SEED=" + seed}}};
  TestBlob config_blob = make_blob(
      std::string(oci ? media_type::k_oci_config : media_type::k_docker_config), config.dump());
  Json manifest = {
      {"schemaVersion", 2}, {"config", descriptor(config_blob)}, {"layers", Json::array()}};
  std::string type(oci ? media_type::k_oci_manifest : media_type::k_docker_manifest);
  manifest["mediaType"] = type;
  for (const TestBlob& layer : layers) manifest["layers"].push_back(descriptor(layer));
  return TestImage{make_blob(type, manifest.dump()), std::move(config_blob), std::move(layers),
                   std::move(diffs), platform};
}

TestBlob make_test_index(ManifestFlavor flavor, const std::vector<const TestImage*>& images) {
  bool oci = flavor == ManifestFlavor::oci;
  std::string type(oci ? media_type::k_oci_index : media_type::k_docker_manifest_list);
  Json index = {{"schemaVersion", 2}, {"mediaType", type}, {"manifests", Json::array()}};
  for (const TestImage* image : images) {
    Json d = descriptor(image->manifest);
    d["platform"] = platform_json(image->platform);
    index["manifests"].push_back(d);
  }
  return make_blob(type, index.dump());
}

std::optional<std::string> DockerRegistry::unavailable_reason() {
  if (::access(k_binary, X_OK) != 0) return std::string(k_binary) + " is not installed";
  if (::access("/usr/bin/htpasswd", X_OK) != 0) return "htpasswd (apache2-utils) is not installed";
  return std::nullopt;
}

Result<std::unique_ptr<DockerRegistry>> DockerRegistry::start(
    const std::string& dir, const std::optional<Credentials>& user) {
  bypass_proxy_for_loopback();
  int port = free_port();
  ASSIGN_OR_RETURN(std::string config, write_config(dir, port, user));
  ASSIGN_OR_RETURN(pid_t pid, spawn_registry(config, dir + "/registry.log"));
  std::unique_ptr<DockerRegistry> registry(new DockerRegistry(pid, port, user));
  std::string url = "http://" + registry->host() + "/v2/";
  for (int i = 0; i < 200; ++i) {
    auto r = request("GET", url, std::nullopt, "", "");
    if (r && (r->status == 200 || r->status == 401)) return registry;
    if (::waitpid(pid, nullptr, WNOHANG) == pid) {
      registry->m_pid = 0;
      return fail(Errc::bad_input, "docker-registry exited; see " + dir + "/registry.log");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return fail(Errc::bad_input, "docker-registry did not come up on " + registry->host());
}

DockerRegistry::~DockerRegistry() {
  if (m_pid <= 0) return;
  ::kill(m_pid, SIGTERM);
  ::waitpid(m_pid, nullptr, 0);
}

Result<void> DockerRegistry::push_blob(const std::string& repo, const TestBlob& blob) {
  std::string base = "http://" + host();
  ASSIGN_OR_RETURN(CurlResult start,
                   request("POST", base + "/v2/" + repo + "/blobs/uploads/", m_user, "", ""));
  if (start.status != 202) {
    return fail(Errc::bad_input,
                "start upload: HTTP " + std::to_string(start.status) + " " + start.body);
  }
  std::string location = start.location;
  if (location.starts_with("/")) location = base + location;
  if (location.empty()) return fail(Errc::bad_input, "start upload: no Location");
  location += (location.find('?') == std::string::npos ? "?" : "&") + std::string("digest=") +
              blob.digest.str();
  ASSIGN_OR_RETURN(CurlResult put,
                   request("PUT", location, m_user, "application/octet-stream", blob.data));
  if (put.status != 201) {
    return fail(Errc::bad_input, "PUT blob: HTTP " + std::to_string(put.status) + " " + put.body);
  }
  return {};
}

Result<void> DockerRegistry::push_manifest(const std::string& repo, const std::string& ref,
                                           const TestBlob& doc) {
  std::string url = "http://" + host() + "/v2/" + repo + "/manifests/" + ref;
  ASSIGN_OR_RETURN(CurlResult put, request("PUT", url, m_user, doc.media_type, doc.data));
  if (put.status != 201) {
    return fail(Errc::bad_input,
                "PUT manifest: HTTP " + std::to_string(put.status) + " " + put.body);
  }
  return {};
}

Result<void> DockerRegistry::push_image(const std::string& repo, const std::string& tag,
                                        const TestImage& image) {
  TRY(push_blob(repo, image.config));
  for (const TestBlob& layer : image.layers) TRY(push_blob(repo, layer));
  return push_manifest(repo, tag, image.manifest);
}

}  // namespace cairn::test
