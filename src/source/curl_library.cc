#include "source/curl_library.h"

#include <dlfcn.h>

#include <cerrno>
#include <mutex>
#include <string>

namespace cairn {
namespace {

// The runtime name of libcurl's ABI 4 (Debian's libcurl4 / libcurl3-gnutls
// both provide it).
constexpr const char* k_soname = "libcurl.so.4";

template <typename Fn>
bool bind(void* handle, const char* name, Fn& out) {
  out = reinterpret_cast<Fn>(dlsym(handle, name));
  return out != nullptr;
}

Result<CurlLibrary> load() {
  void* handle = dlopen(k_soname, RTLD_NOW | RTLD_LOCAL);
  auto failure = [](std::string what) {
    const char* why = dlerror();
    return std::unexpected(Error(std::error_code(ENOENT, std::generic_category()),
                                 what + ": " + (why ? why : "unknown error")));
  };
  if (!handle) return failure(std::string("load ") + k_soname + " (install libcurl4)");
  CurlLibrary lib{};
  bool ok = bind(handle, "curl_global_init", lib.global_init) &&
            bind(handle, "curl_easy_init", lib.easy_init) &&
            bind(handle, "curl_easy_reset", lib.easy_reset) &&
            bind(handle, "curl_easy_setopt", lib.easy_setopt) &&
            bind(handle, "curl_easy_getinfo", lib.easy_getinfo) &&
            bind(handle, "curl_easy_perform", lib.easy_perform) &&
            bind(handle, "curl_easy_strerror", lib.easy_strerror) &&
            bind(handle, "curl_easy_cleanup", lib.easy_cleanup) &&
            bind(handle, "curl_slist_append", lib.slist_append) &&
            bind(handle, "curl_slist_free_all", lib.slist_free_all);
  if (!ok) return failure(std::string("find the entry points of ") + k_soname);
  if (CURLcode rc = lib.global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
    return fail(Errc::unsupported, std::string("curl_global_init: ") + lib.easy_strerror(rc));
  }
  return lib;
}

}  // namespace

Result<const CurlLibrary*> curl_library() {
  static std::once_flag once;
  static Result<CurlLibrary> library = fail(Errc::unsupported, "libcurl not loaded");
  std::call_once(once, [] { library = load(); });
  if (!library) return std::unexpected(library.error());
  return &*library;
}

}  // namespace cairn
