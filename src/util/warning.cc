#include "util/warning.h"

#include <cstdio>
#include <mutex>
#include <set>

namespace cairn {

void warn_once(const std::string& message) {
  static std::mutex mutex;
  static std::set<std::string> said;
  std::lock_guard lock(mutex);
  if (!said.insert(message).second) return;
  std::fprintf(stderr, "cairn: warning: %s\n", message.c_str());
}

}  // namespace cairn
