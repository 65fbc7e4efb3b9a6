#pragma once

// Result<T>: a value or an Error, for failures that cross module boundaries.
//
// Boost 1.74 predates boost::system::result and std::expected needs C++23, so the
// project carries this small type. Errors carry a category code, for callers that
// branch, and a message that names the place (file:line:column, field), for people.
//
//   Result<Config> load(std::string_view path);
//   auto config = load("a.yaml");
//   if (!config) return config.error();
//   use(*config);

#include <cstdint>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace candor {

/// The error categories shared by every module.
enum class Errc : std::uint8_t {
  kOk = 0,
  kInvalidArgument,     ///< input that can never succeed (bad field, bad number, bad YAML)
  kNotFound,            ///< the thing named does not exist
  kAlreadyExists,       ///< a unique key is taken
  kFailedPrecondition,  ///< the system is not in a state that allows the call
  kPermissionDenied,    ///< credentials or signature refused
  kUnavailable,         ///< a transient failure; the same call may succeed later
  kDeadlineExceeded,    ///< a timeout
  kResourceExhausted,   ///< a limit was reached (rate limit, size limit)
  kDataLoss,            ///< stored data is damaged
  kInternal,            ///< a broken invariant
};

/// The std::error_category of Errc, named "candor".
std::error_category const& candor_category() noexcept;
std::error_code make_error_code(Errc e) noexcept;

/// Returns the enumerator's name without its k prefix, e.g. "InvalidArgument".
char const* errc_name(Errc e) noexcept;

/// A failure: what kind, and a sentence that names where.
struct Error {
  Errc code = Errc::kInternal;
  std::string message;

  /// "InvalidArgument: scenarios/a.yaml:3:7: field 'limit' must be a number".
  std::string to_string() const;
};

inline Error make_error(Errc code, std::string message) {
  return Error{code, std::move(message)};
}

/// A value of type T, or an Error.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(state_); }
  T const& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  T const& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  T const* operator->() const { return &value(); }

  Error const& error() const& { return std::get<1>(state_); }
  Error&& error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, Error> state_;
};

/// Success or an Error, for calls that return nothing.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit

  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  Error const& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Status ok_status() {
  return {};
}

}  // namespace candor

namespace std {
template <>
struct is_error_code_enum<candor::Errc> : true_type {};
}  // namespace std

/// Returns the error of `expr` from the enclosing function when it is not ok.
#define CANDOR_RETURN_IF_ERROR(expr)                     \
  do {                                                   \
    if (auto candor_status_ = (expr); !candor_status_) { \
      return std::move(candor_status_).error();          \
    }                                                    \
  } while (false)
