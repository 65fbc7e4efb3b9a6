#pragma once

// Text helpers of the fake SMTP server: command arguments, message headers, base64,
// and the MIME decodings a stored message is presented with (quoted-printable and
// base64 bodies, RFC 2047 encoded-words). They are the fake's own reading of RFC
// 5321/5322/4954/2045/2047 and share nothing with core.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/result.hpp"

namespace candor::fakes::smtp {

/// The argument of MAIL FROM or RCPT TO: the address between the angle brackets and
/// the ESMTP parameters after it ("SIZE=1200", "BODY=8BITMIME").
struct PathArgument {
  std::string address;
  std::vector<std::string> params;
};

/// Parses "FROM:<a@b.example> SIZE=10" (keyword "FROM") or "TO:<c@d.example>"
/// (keyword "TO"). The keyword is matched case-insensitively and one space is
/// tolerated after the colon. An empty address ("<>") is returned as "" and allowed
/// only when `allow_empty`. Errors are kInvalidArgument with the reason.
Result<PathArgument> parse_path_argument(std::string_view argument, std::string_view keyword,
                                         bool allow_empty);

/// Header fields and body of an RFC 5322 message.
struct ParsedMessage {
  /// Every header field in order, names as sent, values unfolded and trimmed.
  std::vector<std::pair<std::string, std::string>> headers;
  /// Everything after the blank line that ends the header section ("" if none).
  std::string body;
};

/// Splits `raw` (lines ending in CRLF) into header fields and body. Lines of the
/// header section without a colon are skipped; continuation lines (starting with a
/// space or tab) are joined to the field before them.
ParsedMessage parse_message(std::string_view raw);

/// The value of the first header named `name` (case-insensitive), if any.
std::optional<std::string> find_header(ParsedMessage const& message, std::string_view name);

/// Standard base64 with padding.
std::string base64_encode(std::string_view data);

/// Decodes standard base64 (padding optional); nullopt on any other character.
std::optional<std::string> base64_decode(std::string_view text);

/// ASCII lower case.
std::string to_lower(std::string_view text);

/// Decodes a quoted-printable body (RFC 2045 6.7): "=XX" (either case) becomes the
/// octet, "=" at the end of a line is a soft line break and is removed with the line
/// break, blanks at the end of a line are dropped as transport padding. Lines end in
/// CRLF on input (a bare LF is read as one) and in CRLF on output. An "=" not followed
/// by two hex digits or a line break is kept as it is, as RFC 2045 advises.
std::string decode_quoted_printable(std::string_view text);

/// Decodes RFC 2047 encoded-words ("=?UTF-8?B?...?=", "=?utf-8?q?a_b?=") in an
/// unfolded header value; blanks between two adjacent encoded-words are dropped, other
/// text is kept. Octets are not converted between charsets. A malformed word is kept
/// as it is.
std::string decode_header_text(std::string_view text);

/// The body of `message` decoded from its Content-Transfer-Encoding: quoted-printable
/// or base64 decoded, anything else (7bit, 8bit, binary, absent) as it is. A base64
/// body that does not decode is returned as it is.
std::string decode_body(ParsedMessage const& message);

}  // namespace candor::fakes::smtp
