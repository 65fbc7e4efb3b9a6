#pragma once

// Small pieces of HTTP that the providers share and that need no network code:
// URL parsing, form encoding, Basic credentials and JSON string escaping.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/result.hpp"

namespace candor::providers {

/// The parts of an absolute http or https URL.
struct Url {
  /// "http" or "https", lower case.
  std::string scheme;
  std::string host;
  std::uint16_t port = 0;
  /// Path and query, always starting with '/'.
  std::string target;

  bool tls() const { return scheme == "https"; }
  /// "https://api.twilio.com:443", the key of a connection pool.
  std::string origin() const;
};

/// Parses "http[s]://host[:port][/path][?query]". Userinfo, fragments and IPv6
/// literals are refused with an InvalidArgument error naming the problem.
Result<Url> parse_url(std::string_view text);

/// Joins a base URL ("https://api.twilio.com" or ".../prefix/") and an absolute
/// path ("/2010-04-01/...") with exactly one '/' between them.
std::string join_url(std::string_view base, std::string_view path);

using FormFields = std::vector<std::pair<std::string, std::string>>;

/// application/x-www-form-urlencoded: unreserved bytes kept, space as '+', the
/// rest as %XX (upper-case hex).
std::string form_encode(FormFields const& fields);

/// Decodes one form-encoded component ('+' is a space); malformed escapes are
/// kept verbatim.
std::string form_decode(std::string_view text);

/// Standard base64 with padding.
std::string base64_encode(std::string_view bytes);

/// The value of an Authorization header for Basic credentials.
std::string basic_authorization(std::string_view user, std::string_view password);

/// `text` escaped for use between the quotes of a JSON string (no quotes added).
std::string json_escape(std::string_view text);

}  // namespace candor::providers
