#pragma once

// X-Twilio-Signature: how Twilio signs the webhooks it sends, and how a receiver
// checks them.
//
// The signed string is the URL Twilio requested (scheme, host, optional port,
// path and query exactly as configured) followed, for a form POST, by every
// parameter name and value in name order; the signature is the base64 HMAC-SHA1
// of that string keyed by the account's auth token. A JSON body is instead
// covered by a `bodySHA256` query parameter holding the hex SHA-256 of the body.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace candor::webhooks {

/// Decoded form parameters in body order; a name may repeat.
using FormParams = std::vector<std::pair<std::string, std::string>>;

/// The string Twilio signs: `url`, then for each distinct name in byte order, each
/// distinct value of that name in byte order as name + value.
std::string twilio_signed_string(std::string_view url, FormParams const& params);

/// The base64 HMAC-SHA1 of twilio_signed_string(url, params) keyed by `auth_token`.
std::string twilio_signature(std::string_view auth_token, std::string_view url,
                             FormParams const& params);

/// The URLs a signature may have been computed over for a request to `url`:
/// without the port and with it (the scheme's default added when absent), each
/// also with `'` percent-encoded as some Twilio signers do. Duplicates removed;
/// user information before `@` is kept.
std::vector<std::string> twilio_url_variants(std::string_view url);

/// True when `signature` matches `params` posted to `url` under any URL variant.
/// Empty signatures and empty tokens never match. Comparison is constant-time.
bool validate_twilio_signature(std::string_view auth_token, std::string_view url,
                               FormParams const& params, std::string_view signature);

/// For a request whose body is not form-encoded: true when `url` carries a
/// `bodySHA256` query parameter equal to the lowercase hex SHA-256 of `body` and
/// `signature` matches the URL alone under any URL variant.
bool validate_twilio_signature_with_body(std::string_view auth_token, std::string_view url,
                                         std::string_view body, std::string_view signature);

/// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

}  // namespace candor::webhooks
