#pragma once

// Small wire codecs every fake needs: percent-encoding, form bodies, base64, HTTP
// Basic credentials and http:// URLs. Written for the fakes only; core has its own.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/common/result.hpp"
#include "fakes/http/message.hpp"

namespace candor::fakes::http {

/// Decodes %XX escapes; with `plus_is_space`, '+' becomes ' ' (form encoding).
/// A '%' not followed by two hex digits is an InvalidArgument error naming its offset.
Result<std::string> percent_decode(std::string_view text, bool plus_is_space);

/// `text` with every byte sequence that is not UTF-8 (overlong forms, surrogates, code
/// points past U+10FFFF, truncated sequences, stray bytes) replaced by U+FFFD, one per
/// maximal invalid part, as lenient decoders do; valid text comes back unchanged.
std::string valid_utf8(std::string_view text);

/// Encodes everything but unreserved characters (A-Z a-z 0-9 - . _ ~) as %XX; with
/// `space_as_plus`, ' ' becomes '+' (form encoding).
std::string percent_encode(std::string_view text, bool space_as_plus);

/// Parses an application/x-www-form-urlencoded body or a query string ("a=1&b=2").
/// A pair without '=' has an empty value; empty pairs are skipped. Errors name the
/// offending pair.
Result<Fields> parse_form(std::string_view text);

/// The inverse of parse_form, in the given order, spaces as '+'.
std::string encode_form(Fields const& fields);

/// Standard base64 with padding.
std::string base64_encode(std::string_view bytes);
/// Decodes standard base64 with padding; nullopt when `text` is not valid base64.
std::optional<std::string> base64_decode(std::string_view text);

/// User and password of an HTTP Basic `Authorization` header value.
struct BasicCredentials {
  std::string user;
  std::string password;
};

/// Parses "Basic <base64(user:password)>"; nullopt for any other scheme or bad base64.
std::optional<BasicCredentials> parse_basic_auth(std::string_view header_value);

/// The `Authorization` header value for `user` and `password`.
std::string basic_auth_header(std::string_view user, std::string_view password);

/// The parts of an absolute http:// or https:// URL.
struct Url {
  std::string scheme;  ///< "http" or "https", lower case
  std::string host;
  std::uint16_t port = 0;  ///< explicit port, else the scheme's default
  std::string target;      ///< path and query, at least "/"
};

/// Parses an absolute URL; userinfo and fragments are refused with InvalidArgument.
Result<Url> parse_url(std::string_view url);

}  // namespace candor::fakes::http
