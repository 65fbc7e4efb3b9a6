#pragma once

// X-Twilio-Signature as the fake computes it: HMAC-SHA1, keyed by the auth token, over
// the full URL followed by every form parameter name and value (names sorted by byte
// order; a repeated name contributes each distinct value once, values sorted), then
// base64. Written for the fake from Twilio's published description; core has its own.

#include <string>
#include <string_view>

#include "fakes/http/message.hpp"

namespace candor::fakes::twilio {

/// The string that is signed: `url` followed by the sorted parameters.
std::string signing_string(std::string_view url, http::Fields const& params);

/// The X-Twilio-Signature value for a form POST of `params` to `url`.
std::string sign_request(std::string_view auth_token, std::string_view url,
                         http::Fields const& params);

/// Checks `signature` the way Twilio's helper libraries do: against `url` as given, and
/// against `url` with its port removed or the scheme's default port added. Comparison
/// is constant-time. An empty signature never matches.
bool verify_signature(std::string_view auth_token, std::string_view url, http::Fields const& params,
                      std::string_view signature);

}  // namespace candor::fakes::twilio
