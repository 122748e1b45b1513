#include "cli/exit_code.h"

#include <cerrno>

namespace cairn::cli {

int exit_code_for(const Error& error) {
  if (error.is(Errc::usage) || error.is(Errc::access_denied)) return k_exit_usage;
  if (error.is(Errc::not_found) || error.is_errno(ENOENT)) return k_exit_not_found;
  if (error.is(Errc::bad_input) || error.is(Errc::digest_mismatch) || error.is(Errc::unsafe_path)) {
    return k_exit_bad_input;
  }
  if (error.is(Errc::unsupported)) return k_exit_unsupported;
  if (error.is(Errc::busy)) return k_exit_busy;
  return k_exit_failure;
}

}  // namespace cairn::cli
