#pragma once

// Dates as Twilio's API takes them in request parameters: the list operation's
// DateSent filters and a scheduled message's SendAt.

#include <optional>
#include <string_view>

#include "core/clock/clock.hpp"

namespace candor::fakes::twilio {

/// A date read from a request parameter.
struct RequestDate {
  /// The instant, in GMT; midnight of the day when only a day was given.
  clock::TimePoint at{};
  /// Whether only a day ("2019-06-11") was given.
  bool whole_day = false;
};

/// Reads ISO 8601: "2019-06-11", "2019-06-11T22:05:25Z" (what Twilio's helper libraries
/// send), "2019-06-11 22:05:25.000", each with an optional offset ("Z", "+02:00",
/// "-0500"). nullopt for anything else, or a day or time that does not exist.
std::optional<RequestDate> parse_iso8601_date(std::string_view text);

/// Reads what the list operation's DateSent filters take: ISO 8601 as above, or RFC 2822
/// as Twilio writes dates ("Wed, 19 Jun 2019 22:04:00 -0000"). nullopt otherwise.
std::optional<RequestDate> parse_request_date(std::string_view text);

}  // namespace candor::fakes::twilio
