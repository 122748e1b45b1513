#include "source/registry_reference.h"

#include <algorithm>

#include "util/split.h"

namespace cairn {
namespace {

constexpr size_t k_max_name = 255;
constexpr size_t k_max_tag = 128;

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_word(char c) {
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '_';
}

// A component: alnum runs joined by '.', '_', "__" or any run of '-'.
bool valid_component(std::string_view c) {
  if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) return false;
  for (size_t i = 0; i < c.size();) {
    if (is_lower_alnum(c[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < c.size() && !is_lower_alnum(c[j])) ++j;
    std::string_view sep = c.substr(i, j - i);
    bool dashes = std::all_of(sep.begin(), sep.end(), [](char s) { return s == '-'; });
    if (!(sep == "." || sep == "_" || sep == "__" || dashes)) return false;
    i = j;
  }
  return true;
}

bool valid_repository(std::string_view repo) {
  for (std::string_view component : split(repo, '/')) {
    if (!valid_component(component)) return false;
  }
  return true;
}

bool valid_domain(std::string_view domain) {
  if (domain.empty()) return false;
  return std::all_of(domain.begin(), domain.end(), [](char c) {
    return is_word(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
  });
}

bool valid_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > k_max_tag || !is_word(tag.front())) return false;
  return std::all_of(tag.begin(), tag.end(),
                     [](char c) { return is_word(c) || c == '.' || c == '-'; });
}

bool looks_like_domain(std::string_view first) {
  return first.find_first_of(".:") != std::string_view::npos || first == "localhost";
}

std::unexpected<Error> bad_reference(std::string_view text, std::string_view why) {
  return fail(Errc::usage,
              "image reference \"" + std::string(text.substr(0, 300)) + "\": " + std::string(why));
}

// Splits "name[:tag]" at a ':' after the last '/'; false if there is none.
bool split_tag(std::string_view& name, std::string& tag) {
  size_t colon = name.rfind(':');
  size_t slash = name.rfind('/');
  if (colon == std::string_view::npos) return false;
  if (slash != std::string_view::npos && colon < slash) return false;
  tag = std::string(name.substr(colon + 1));
  name = name.substr(0, colon);
  return true;
}

}  // namespace

std::string RegistryReference::api_host() const {
  return domain == k_docker_hub_domain ? std::string(k_docker_hub_api_host) : domain;
}

std::string RegistryReference::manifest_reference() const {
  return digest ? digest->str() : tag;
}

std::string RegistryReference::str() const {
  std::string out = domain + "/" + repository;
  if (!tag.empty()) return out + ":" + tag;
  return out + "@" + digest->str();
}

Result<RegistryReference> parse_registry_reference(std::string_view text) {
  std::string_view rest = text;
  if (rest.starts_with("docker://")) rest.remove_prefix(9);
  RegistryReference ref;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    auto digest = Digest::parse(rest.substr(at + 1));
    if (!digest) return bad_reference(text, "invalid digest (want sha256:<64 hex>)");
    ref.digest = std::move(*digest);
    rest = rest.substr(0, at);
  }
  if (split_tag(rest, ref.tag) && !valid_tag(ref.tag)) return bad_reference(text, "invalid tag");
  if (ref.tag.empty() && !ref.digest) ref.tag = "latest";
  if (rest.empty() || rest.size() > k_max_name) return bad_reference(text, "invalid name length");
  size_t slash = rest.find('/');
  std::string_view first = rest.substr(0, slash);
  std::string_view repo = rest;
  ref.domain = std::string(k_docker_hub_domain);
  if (slash != std::string_view::npos && looks_like_domain(first)) {
    if (!valid_domain(first)) return bad_reference(text, "invalid registry host");
    ref.domain = first == "index.docker.io" ? std::string(k_docker_hub_domain) : std::string(first);
    repo = rest.substr(slash + 1);
  }
  if (!valid_repository(repo)) {
    return bad_reference(text, "invalid repository name (lowercase letters, digits, . _ - /)");
  }
  ref.repository = std::string(repo);
  if (ref.domain == k_docker_hub_domain && repo.find('/') == std::string_view::npos) {
    ref.repository = "library/" + ref.repository;
  }
  return ref;
}

}  // namespace cairn
