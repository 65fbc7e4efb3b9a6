#include "core/providers/provider_support.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace candor::providers {

SendOutcome outcome_without_response(HttpResult const& result) {
  SendOutcome outcome;
  outcome.kind =
      result.failure == HttpFailure::kBadRequest ? OutcomeKind::kRejected : OutcomeKind::kTransient;
  outcome.error_code = std::string(to_string(result.failure));
  outcome.error_message = result.error_message;
  return outcome;
}

SendOutcome map_http_result(HttpResult const& result,
                            SendOutcome (*on_success)(HttpResponse const&),
                            SendOutcome (*on_error)(HttpResponse const&)) {
  if (!result.response) {
    return outcome_without_response(result);
  }
  auto const& response = *result.response;
  auto outcome =
      response.status >= 200 && response.status < 300 ? on_success(response) : on_error(response);
  outcome.http_status = response.status;
  outcome.retry_after = result.retry_after;
  return outcome;
}

SendOutcome outcome_from_status(int status) {
  SendOutcome outcome;
  outcome.http_status = status;
  if (status == 429) {
    outcome.kind = OutcomeKind::kRateLimited;
  } else if (status >= 400 && status < 500) {
    outcome.kind = OutcomeKind::kRejected;
  } else {
    outcome.kind = OutcomeKind::kTransient;
  }
  outcome.error_code = fmt::format("http_{}", status);
  return outcome;
}

bool is_sid(std::string_view value, std::string_view prefix) {
  constexpr std::size_t kHexDigits = 32;
  if (value.size() != prefix.size() + kHexDigits || value.substr(0, prefix.size()) != prefix) {
    return false;
  }
  auto const digits = value.substr(prefix.size());
  return std::all_of(digits.begin(), digits.end(),
                     [](unsigned char c) { return std::isxdigit(c) != 0; });
}

Status validate_http_options(HttpClientOptions const& options, std::string_view field) {
  auto invalid = [&](std::string_view name, std::string_view rule) {
    return make_error(Errc::kInvalidArgument, fmt::format("{}.{} {}", field, name, rule));
  };
  if (options.max_attempts < 1) {
    return invalid("max_attempts", "must be at least 1");
  }
  if (options.max_in_flight < 1) {
    return invalid("max_in_flight", "must be at least 1");
  }
  if (options.max_per_second < 0) {
    return invalid("max_per_second", "must not be negative (0 means unpaced)");
  }
  if (options.burst < 1) {
    return invalid("burst", "must be at least 1");
  }
  if (options.backoff_base.count() < 0 || options.backoff_cap < options.backoff_base) {
    return invalid("backoff_cap", "must be at least backoff_base, and both not negative");
  }
  if (options.connect_timeout.count() <= 0 || options.read_timeout.count() <= 0) {
    return invalid("connect_timeout", "and read_timeout must be positive");
  }
  return ok_status();
}

}  // namespace candor::providers
