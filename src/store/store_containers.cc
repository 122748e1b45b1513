// Store operations on containers: the metadata row and the backend's
// copy-on-write copy, kept consistent across crashes (see store.h).
#include <ctime>

#include "store/store.h"

namespace cairn {
namespace {

constexpr size_t k_max_container_name = 64;

bool valid_container_name(const std::string& name) {
  if (name.empty() || name.size() > k_max_container_name) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name[0])) return false;
  for (char c : name) {
    if (!alnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

}  // namespace

Result<std::string> Store::create_container(const ImageRecord& image, const std::string& name) {
  if (!valid_container_name(name)) {
    return fail(Errc::usage, "container name \"" + name +
                                 "\": use [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64 characters");
  }
  TRY(m_metadata.add_container(
      ContainerRecord{name, image.id, static_cast<std::int64_t>(std::time(nullptr))}));
  auto path = m_backend->create_container(image.top_chain, name);
  if (!path) {
    (void)m_metadata.remove_container(name);
    return path;
  }
  return path;
}

Result<void> Store::remove_container(const std::string& name) {
  ASSIGN_OR_RETURN(auto container, m_metadata.find_container(name));
  if (!container) return fail(Errc::not_found, "container \"" + name + "\"");
  TRY(m_backend->remove_container(name));
  return m_metadata.remove_container(name);
}

Result<void> Store::check_image_unused(const ImageRecord& image) {
  ASSIGN_OR_RETURN(auto containers, m_metadata.list_containers());
  for (const ContainerRecord& container : containers) {
    if (container.image_id == image.id) {
      return fail(Errc::busy, "image " + std::string(image.id.short_hex()) +
                                  " is used by container \"" + container.name + "\"");
    }
  }
  return {};
}

}  // namespace cairn
