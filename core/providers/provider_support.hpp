#pragma once

// Helpers the REST providers share: outcomes for sends that got no usable
// response, and the checks their configurations have in common.

#include <string>
#include <string_view>

#include "core/common/result.hpp"
#include "core/providers/http_client.hpp"
#include "core/providers/provider.hpp"

namespace candor::providers {

/// The outcome of a send that ended without a response: kRejected for an
/// unusable request (it cannot improve), kTransient otherwise. The error code is
/// the failure's name ("timeout", "connect", ...).
SendOutcome outcome_without_response(HttpResult const& result);

/// The outcome for an HTTP status the provider's error body did not explain:
/// 429 -> kRateLimited, 5xx -> kTransient, other 4xx -> kRejected ("http_404"),
/// anything else -> kTransient.
SendOutcome outcome_from_status(int status);

/// The outcome of a finished exchange: outcome_without_response() when there
/// was no response, otherwise `on_success` for a 2xx and `on_error` for any
/// other status. The result's HTTP status and Retry-After are copied onto it.
SendOutcome map_http_result(HttpResult const& result,
                            SendOutcome (*on_success)(HttpResponse const&),
                            SendOutcome (*on_error)(HttpResponse const&));

/// True for "<prefix>" followed by 32 hex digits (Twilio SIDs).
bool is_sid(std::string_view value, std::string_view prefix);

/// Checks the client options a provider configuration carries; `field` prefixes
/// the messages ("twilio.http").
Status validate_http_options(HttpClientOptions const& options, std::string_view field);

}  // namespace candor::providers
