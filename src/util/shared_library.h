// Libraries opened with dlopen(3) when a command first needs them.
//
// Every library a binary links is mapped and relocated, with all the
// libraries behind it, before main() of every command. libcurl brings ~35
// (GnuTLS, Kerberos, LDAP, libssh2, ...), ~4.5 ms of CPU per process here;
// libarchive ~10 (libxml2, ICU, liblzma, nettle, ...), ~1 ms. `cairn create`
// + `cairn mount` (target: 20 ms together) paid both twice and use neither.
// So the registry source and the tar code open them on first use (as git
// keeps libcurl out of its main binary).
//
// A user declares a struct of function pointers typed with the library's
// own header (decltype(&::name)), so a signature mismatch is a compile
// error, and fills it with bind(). Opened libraries stay loaded until the
// process exits: their function pointers may be held anywhere.
#pragma once

#include <mutex>
#include <string>

#include "util/error.h"

namespace cairn {

class SharedLibrary {
 public:
  // dlopen(soname, RTLD_NOW | RTLD_LOCAL). Fails with ELIBACC (a plain
  // failure, exit 1), the loader's message and the Debian package that
  // provides it.
  static Result<SharedLibrary> open(const std::string& soname, const std::string& package);

  // Looks `name` up into `out`; fails naming the symbol and the library.
  template <typename Fn>
  Result<void> bind(const char* name, Fn& out) const {
    void* symbol = lookup(name);
    if (symbol == nullptr) return missing(name);
    out = reinterpret_cast<Fn>(symbol);
    return {};
  }

 private:
  SharedLibrary(void* handle, std::string soname) : m_handle(handle), m_soname(std::move(soname)) {}
  void* lookup(const char* name) const;
  std::unexpected<Error> missing(const char* name) const;

  void* m_handle;
  std::string m_soname;
};

// The entry-point struct LIBRARY filled by `load`, run once per process and
// type (thread safe); later calls return the same struct or the same error.
template <typename Library>
Result<const Library*> load_once(Result<Library> (*load)()) {
  static std::once_flag once;
  static Result<Library> library = fail(Errc::unsupported, "not loaded");
  std::call_once(once, [load] { library = load(); });
  if (!library) return std::unexpected(library.error());
  return &*library;
}

}  // namespace cairn
