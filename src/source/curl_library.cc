#include "source/curl_library.h"

#include <string>

#include "util/shared_library.h"

namespace cairn {
namespace {

Result<CurlLibrary> load() {
  // ABI 4, provided by Debian's libcurl4 and libcurl3-gnutls alike.
  ASSIGN_OR_RETURN(SharedLibrary shared, SharedLibrary::open("libcurl.so.4", "libcurl4"));
  CurlLibrary lib{};
#define CAIRN_BIND_ENTRY_POINT(name) TRY(shared.bind(#name, lib.name));
  CAIRN_CURL_ENTRY_POINTS(CAIRN_BIND_ENTRY_POINT)
#undef CAIRN_BIND_ENTRY_POINT
  if (CURLcode rc = lib.curl_global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
    return fail(Errc::unsupported, std::string("curl_global_init: ") + lib.curl_easy_strerror(rc));
  }
  return lib;
}

}  // namespace

Result<const CurlLibrary*> curl_library() {
  return load_once(&load);
}

}  // namespace cairn
