// The error contract below cli/: every fallible call returns Result<T>.
//
// An Error is a code (an errno in std::generic_category, or a ringc code)
// plus the context a user needs: the container id, the path, the JSON
// pointer of a bad field. what() is the one line the CLI prints.
#pragma once

#include <string>
#include <system_error>

#include <boost/outcome.hpp>

namespace ringc {

namespace outcome = BOOST_OUTCOME_V2_NAMESPACE;

enum class Errc {
  bad_spec = 1,        // config.json is malformed
  bad_id,              // container id is not acceptable
  exists,              // container id already in use
  not_found,           // no such container
  invalid_transition,  // the FSM refused an event
  corrupt_state,       // a state record failed validation
  init_failed,         // the container's init reported an error
  timed_out,           // a deadline passed
  bad_usage,           // command-line usage error
  failed,              // an operation the engine carried out failed; the text says why
};
const std::error_category& ringc_category();
inline std::error_code make_error_code(Errc e) {
  return {int(e), ringc_category()};
}

struct Error {
  std::error_code code;
  std::string context;  // full text for ringc codes; prefix for errno codes

  std::string what() const;
  bool is(Errc e) const { return code == make_error_code(e); }
  int err() const { return code.category() == std::generic_category() ? code.value() : 0; }
};

template <class T>
using Result = outcome::result<T, Error, outcome::policy::terminate>;

// An errno error with context ("mkdir /run/ringc/x: File exists").
Error sys_error(int errnum, std::string context);
// The same from a raw syscall's negative return value.
inline Error neg_error(int negative, std::string context) {
  return sys_error(-negative, std::move(context));
}
Error ringc_error(Errc e, std::string text);
// The whole file at path ("-": standard input), errors naming the path.
Result<std::string> read_file(const std::string& path);

// Prepends outer context: "outer: inner".
Error wrap(Error e, std::string_view outer);

}  // namespace ringc

template <>
struct std::is_error_code_enum<ringc::Errc> : std::true_type {};

// RINGC_TRY(expr): return its error, if any.
// RINGC_TRY(auto x, expr) / RINGC_TRY(obj.field, expr): and bind or assign
// the value. (Boost 1.74's BOOST_OUTCOME_TRY can only declare.)
#define RINGC_CAT_(a, b) a##b
#define RINGC_CAT(a, b) RINGC_CAT_(a, b)
#define RINGC_TRYV_(u, ...) \
  auto&& u = (__VA_ARGS__); \
  if (!u) [[unlikely]]      \
  return std::move(u).error()
#define RINGC_TRYA_(u, v, ...) \
  RINGC_TRYV_(u, __VA_ARGS__); \
  v = std::move(u).value()
#define RINGC_PICK_(_1, _2, _3, _4, _5, _6, N, ...) N
#define RINGC_TRY(...)                                                                      \
  RINGC_PICK_(__VA_ARGS__, RINGC_TRYA_, RINGC_TRYA_, RINGC_TRYA_, RINGC_TRYA_, RINGC_TRYA_, \
              RINGC_TRYV_, unused)                                                          \
  (RINGC_CAT(ringc_try_, __COUNTER__), __VA_ARGS__)
