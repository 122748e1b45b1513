// Warnings: what the user should fix but that does not stop the command
// (a credential file other users can read). Written to stderr as
// "cairn: warning: MESSAGE", each distinct message once per process.
// Thread-safe.
#pragma once

#include <string>

namespace cairn {

void warn_once(const std::string& message);

}  // namespace cairn
