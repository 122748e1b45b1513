// libcurl, loaded when the first HTTP request is made rather than at start.
//
// A binary linked against libcurl makes the dynamic loader map and relocate
// it and the ~35 libraries behind it (GnuTLS, Kerberos, LDAP, libssh2,
// nghttp2, ...) before main() of every command: about 4.5 ms of CPU per
// process here, a quarter of the 20 ms that `cairn create` + `cairn mount`
// may take, and neither speaks HTTP. Only the registry source does, so
// libcurl is dlopen()ed there (as git keeps libcurl out of its main binary).
// The entry points are typed with <curl/curl.h>'s own declarations, so a
// mismatch is a compile error, not a crash.
#pragma once

#include <curl/curl.h>

#include "util/error.h"

namespace cairn {

struct CurlLibrary {
  decltype(&::curl_global_init) global_init;
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_reset) easy_reset;
  decltype(&::curl_easy_setopt) easy_setopt;
  decltype(&::curl_easy_getinfo) easy_getinfo;
  decltype(&::curl_easy_perform) easy_perform;
  decltype(&::curl_easy_strerror) easy_strerror;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_slist_append) slist_append;
  decltype(&::curl_slist_free_all) slist_free_all;
};

// The library, loaded and globally initialised once per process (thread
// safe), or why it cannot be loaded (ENOENT with the loader's message). It
// stays loaded until the process exits.
Result<const CurlLibrary*> curl_library();

}  // namespace cairn
