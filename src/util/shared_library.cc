#include "util/shared_library.h"

#include <dlfcn.h>

#include <cerrno>

namespace cairn {
namespace {

std::unexpected<Error> loader_error(std::string what) {
  const char* why = dlerror();
  return std::unexpected(Error(std::error_code(ELIBACC, std::generic_category()),
                               what + ": " + (why ? why : "unknown error")));
}

}  // namespace

Result<SharedLibrary> SharedLibrary::open(const std::string& soname, const std::string& package) {
  void* handle = dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return loader_error("load " + soname + " (package " + package + ")");
  return SharedLibrary(handle, soname);
}

void* SharedLibrary::lookup(const char* name) const {
  return dlsym(m_handle, name);
}

std::unexpected<Error> SharedLibrary::missing(const char* name) const {
  return loader_error(std::string("find ") + name + " in " + m_soname);
}

}  // namespace cairn
