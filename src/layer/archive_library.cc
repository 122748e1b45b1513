#include "layer/archive_library.h"

#include "util/shared_library.h"

namespace cairn {
namespace {

Result<ArchiveLibrary> load() {
  ASSIGN_OR_RETURN(SharedLibrary shared, SharedLibrary::open("libarchive.so.13", "libarchive13"));
  ArchiveLibrary lib{};
#define CAIRN_BIND_ENTRY_POINT(name) TRY(shared.bind(#name, lib.name));
  CAIRN_ARCHIVE_ENTRY_POINTS(CAIRN_BIND_ENTRY_POINT)
#undef CAIRN_BIND_ENTRY_POINT
  return lib;
}

}  // namespace

Result<const ArchiveLibrary*> archive_library() {
  return load_once(&load);
}

}  // namespace cairn
