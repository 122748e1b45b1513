#include "util/error.h"

namespace cairn {
namespace {

class CairnCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "cairn"; }
  std::string message(int value) const override {
    switch (static_cast<Errc>(value)) {
      case Errc::bad_input: return "invalid input";
      case Errc::digest_mismatch: return "digest mismatch";
      case Errc::not_found: return "not found";
      case Errc::already_exists: return "already exists";
      case Errc::unsupported: return "not supported";
      case Errc::unsafe_path: return "path escapes the root";
      case Errc::busy: return "in use";
      case Errc::corrupt_store: return "store is corrupt";
      case Errc::usage: return "invalid usage";
      case Errc::access_denied: return "access denied";
    }
    return "unknown error";
  }
};

}  // namespace

const std::error_category& cairn_category() noexcept {
  static const CairnCategory category;
  return category;
}

std::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), cairn_category()};
}

std::string Error::message() const {
  if (m_context.empty()) return m_code.message();
  return m_context + ": " + m_code.message();
}

Error Error::wrap(std::string_view outer) && {
  std::string context(outer);
  if (!m_context.empty()) context += ": " + m_context;
  return Error(m_code, std::move(context));
}

void check_failed(const char* expr, const char* file, int line, const std::string& detail) {
  std::fprintf(stderr, "cairn: CHECK failed at %s:%d: %s%s%s\n", file, line, expr,
               detail.empty() ? "" : ": ", detail.c_str());
  std::abort();
}

}  // namespace cairn
