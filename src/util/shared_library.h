// Libraries opened with dlopen(3) when a command first needs them.
//
// Every library a binary links is mapped and relocated, with all the
// libraries behind it, before main() of every command. libcurl brings ~35
// (GnuTLS, Kerberos, LDAP, libssh2, ...): ~4.5 ms of CPU per process here,
// paid twice by `cairn create` + `cairn mount` (target: 20 ms together),
// which never speak HTTP. So the registry source opens it on first use (as
// git keeps libcurl out of its main binary). libarchive (~1 ms with libxml2,
// ICU, liblzma) stays linked for now: the tar reader calls it in many places.
//
// A user declares a struct of function pointers typed with the library's
// own header (decltype(&::name)), so a signature mismatch is a compile
// error, and fills it with bind(). Opened libraries stay loaded until the
// process exits: their function pointers may be held anywhere.
#pragma once

#include <string>

#include "util/error.h"

namespace cairn {

class SharedLibrary {
 public:
  // dlopen(soname, RTLD_NOW | RTLD_LOCAL). Fails with ENOENT, the loader's
  // message and the Debian package that provides it.
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

}  // namespace cairn
