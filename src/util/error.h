// Error values for the whole library.
//
// Every fallible library function returns Result<T>: std::expected<T, Error>,
// [[nodiscard]].
// An Error carries a std::error_code (an errno value in std::generic_category,
// or a cairn::Errc for conditions that are not system errors) and a context
// string naming the operation and the object: "open objects/ab/cd…".
// message() renders "context: reason". The library never prints, exits or
// throws across its API; callers add outer context with wrap().
#pragma once

#include <cstdio>
#include <cstdlib>
#include <expected>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace cairn {

// Conditions that are not system errors. Values are stable: the CLI maps them
// to exit codes (doc/cli.md).
enum class Errc {
  bad_input = 1,    // malformed or hostile input (archive, manifest, layer)
  digest_mismatch,  // content does not hash to the digest it claims
  not_found,        // no such image, container, tag or blob
  already_exists,   // a name is taken
  unsupported,      // valid input that cairn does not handle
  unsafe_path,      // a path that would leave the root
  busy,             // in use (mounted, referenced by a container)
  corrupt_store,    // the store itself is inconsistent
  usage,            // invalid arguments or configuration
  access_denied,    // a server refused the credentials, or wanted some and got none
};

const std::error_category& cairn_category() noexcept;
std::error_code make_error_code(Errc e) noexcept;

class Error {
 public:
  Error(std::error_code code, std::string context) : m_code(code), m_context(std::move(context)) {}

  static Error from_errno(int err, std::string_view context) {
    return Error(std::error_code(err, std::generic_category()), std::string(context));
  }

  const std::error_code& code() const { return m_code; }
  const std::string& context() const { return m_context; }
  bool is(Errc e) const { return m_code == make_error_code(e); }
  bool is_errno(int err) const { return m_code == std::error_code(err, std::generic_category()); }

  // "context: reason".
  std::string message() const;

  // Prepends outer context: "outer: context".
  Error wrap(std::string_view outer) &&;

 private:
  std::error_code m_code;
  std::string m_context;
};

// [[nodiscard]]: an error dropped on the floor is a bug; `(void)f()` says
// that it is meant. Otherwise exactly std::expected<T, Error>.
template <typename T>
class [[nodiscard]] Result : public std::expected<T, Error> {
 public:
  using std::expected<T, Error>::expected;
  Result(std::expected<T, Error> other)  // NOLINT: implicit, as the base converts
      : std::expected<T, Error>(std::move(other)) {}
};

inline std::unexpected<Error> fail(Errc e, std::string context) {
  return std::unexpected(Error(make_error_code(e), std::move(context)));
}
inline std::unexpected<Error> fail_errno(int err, std::string_view context) {
  return std::unexpected(Error::from_errno(err, context));
}
inline std::unexpected<Error> fail(Error e) {
  return std::unexpected(std::move(e));
}

[[noreturn]] void check_failed(const char* expr, const char* file, int line,
                               const std::string& detail);

}  // namespace cairn

template <>
struct std::is_error_code_enum<cairn::Errc> : std::true_type {};

#define CAIRN_CONCAT_INNER(a, b) a##b
#define CAIRN_CONCAT(a, b) CAIRN_CONCAT_INNER(a, b)

// Returns the error of a Result-valued expression from the enclosing function.
#define TRY(expr)                                                               \
  do {                                                                          \
    auto&& try_result_ = (expr);                                                \
    if (!try_result_) return ::std::unexpected(std::move(try_result_).error()); \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, f());` declares x from the value or returns the error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(CAIRN_CONCAT(assign_result_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)                 \
  auto tmp = (expr);                                          \
  if (!tmp) return ::std::unexpected(std::move(tmp).error()); \
  lhs = std::move(*tmp)

// Invariant check: prints the expression and detail, then aborts.
#define CHECK(cond)                                                    \
  do {                                                                 \
    if (!(cond)) ::cairn::check_failed(#cond, __FILE__, __LINE__, {}); \
  } while (0)
#define CHECK_MSG(cond, detail)                                              \
  do {                                                                       \
    if (!(cond)) ::cairn::check_failed(#cond, __FILE__, __LINE__, (detail)); \
  } while (0)
