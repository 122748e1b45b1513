// libcurl's entry points, opened on the first HTTP request rather than at
// program start (util/shared_library.h says why).
#pragma once

// curl.h's type-checking wrappers are macros named like the functions; they
// would capture calls through the members below.
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

#include "util/error.h"

namespace cairn {

// The entry points, packed by hand (clang-format cannot lay out an X-macro list).
// clang-format off
#define CAIRN_CURL_ENTRY_POINTS(X)                                                    \
  X(curl_global_init) X(curl_easy_init) X(curl_easy_reset) X(curl_easy_setopt)        \
  X(curl_easy_getinfo) X(curl_easy_perform) X(curl_easy_strerror) X(curl_easy_cleanup) \
  X(curl_slist_append) X(curl_slist_free_all)
// clang-format on

// One member per entry point, named and typed as in <curl/curl.h>.
struct CurlLibrary {
#define CAIRN_DECLARE_ENTRY_POINT(name) decltype(&::name) name;
  CAIRN_CURL_ENTRY_POINTS(CAIRN_DECLARE_ENTRY_POINT)
#undef CAIRN_DECLARE_ENTRY_POINT
};

// The library, loaded and globally initialised once per process (thread
// safe), or why it cannot be.
Result<const CurlLibrary*> curl_library();

}  // namespace cairn
