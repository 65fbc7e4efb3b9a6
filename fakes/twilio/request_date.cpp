#include "fakes/twilio/request_date.hpp"

#include <charconv>
#include <span>

namespace candor::fakes::twilio {

namespace {

/// Reads fixed-width fields from the front of a text.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : rest_(text) {}

  bool done() const { return rest_.empty(); }
  bool literal(char c) {
    if (rest_.empty() || rest_.front() != c) {
      return false;
    }
    rest_.remove_prefix(1);
    return true;
  }
  bool literal(std::string_view text) {
    if (!rest_.starts_with(text)) {
      return false;
    }
    rest_.remove_prefix(text.size());
    return true;
  }
  /// Exactly `count` decimal digits.
  bool digits(std::size_t count, int& out) {
    if (rest_.size() < count) {
      return false;
    }
    auto const [end, ec] = std::from_chars(rest_.data(), rest_.data() + count, out);
    if (ec != std::errc() || end != rest_.data() + count) {
      return false;
    }
    rest_.remove_prefix(count);
    return true;
  }
  /// One or more decimal digits, skipped (fractions of a second).
  bool skip_digits() {
    std::size_t n = 0;
    while (n < rest_.size() && rest_[n] >= '0' && rest_[n] <= '9') {
      ++n;
    }
    rest_.remove_prefix(n);
    return n > 0;
  }
  /// One of `words`, returning its index.
  std::optional<int> word(std::span<char const* const> words) {
    for (std::size_t i = 0; i < words.size(); ++i) {
      if (literal(std::string_view(words[i]))) {
        return static_cast<int>(i);
      }
    }
    return std::nullopt;
  }

 private:
  std::string_view rest_;
};

std::optional<clock::TimePoint> make_time(int year, int month, int day, int hour, int minute,
                                          int second) {
  std::chrono::year_month_day const ymd{std::chrono::year(year),
                                        std::chrono::month(static_cast<unsigned>(month)),
                                        std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  return clock::TimePoint(std::chrono::sys_days(ymd).time_since_epoch() + std::chrono::hours(hour) +
                          std::chrono::minutes(minute) + std::chrono::seconds(second));
}

/// A zone offset "Z", "+HH:MM", "+HHMM", "-0000" and the like, in minutes east of GMT.
std::optional<int> zone_offset(Cursor& in) {
  if (in.done()) {
    return 0;
  }
  if (in.literal('Z')) {
    return in.done() ? std::optional(0) : std::nullopt;
  }
  int const sign = in.literal('+') ? 1 : (in.literal('-') ? -1 : 0);
  int hours = 0;
  int minutes = 0;
  if (sign == 0 || !in.digits(2, hours)) {
    return std::nullopt;
  }
  in.literal(':');
  if (!in.digits(2, minutes) || !in.done()) {
    return std::nullopt;
  }
  return sign * (hours * 60 + minutes);
}

/// RFC 2822, as Twilio writes dates: "Wed, 19 Jun 2019 22:04:00 -0000".
std::optional<RequestDate> parse_rfc2822_date(std::string_view text) {
  static constexpr char const* kDays[] = {"Mon, ", "Tue, ", "Wed, ", "Thu, ",
                                          "Fri, ", "Sat, ", "Sun, "};
  static constexpr char const* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  Cursor in(text);
  in.word(kDays);
  int day = 0;
  if (!in.digits(2, day) && !in.digits(1, day)) {
    return std::nullopt;
  }
  int year = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  std::optional<int> month;
  if (!in.literal(' ') || !(month = in.word(kMonths)) || !in.literal(' ') || !in.digits(4, year) ||
      !in.literal(' ') || !in.digits(2, hour) || !in.literal(':') || !in.digits(2, minute) ||
      !in.literal(':') || !in.digits(2, second) || !in.literal(' ')) {
    return std::nullopt;
  }
  auto const offset = zone_offset(in);
  auto const at = make_time(year, *month + 1, day, hour, minute, second);
  if (!offset || !at) {
    return std::nullopt;
  }
  return RequestDate{*at - std::chrono::minutes(*offset), false};
}

}  // namespace

std::optional<RequestDate> parse_iso8601_date(std::string_view text) {
  Cursor in(text);
  int year = 0;
  int month = 0;
  int day = 0;
  if (!in.digits(4, year) || !in.literal('-') || !in.digits(2, month) || !in.literal('-') ||
      !in.digits(2, day)) {
    return std::nullopt;
  }
  if (in.done()) {
    auto const at = make_time(year, month, day, 0, 0, 0);
    return at ? std::optional(RequestDate{*at, true}) : std::nullopt;
  }
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!(in.literal('T') || in.literal(' ')) || !in.digits(2, hour) || !in.literal(':') ||
      !in.digits(2, minute) || !in.literal(':') || !in.digits(2, second)) {
    return std::nullopt;
  }
  if (in.literal('.') && !in.skip_digits()) {
    return std::nullopt;
  }
  auto const offset = zone_offset(in);
  auto const at = make_time(year, month, day, hour, minute, second);
  if (!offset || !at) {
    return std::nullopt;
  }
  return RequestDate{*at - std::chrono::minutes(*offset), false};
}

// Limitation: dates with a zone name ("06/11/2019 22:05:25 MST", which an example in
// Twilio's description uses) are not read, so a list filter with one answers 400 — no
// client of the fake sends them, and zone names would need a time zone database.
std::optional<RequestDate> parse_request_date(std::string_view text) {
  if (auto const iso = parse_iso8601_date(text)) {
    return iso;
  }
  return parse_rfc2822_date(text);
}

}  // namespace candor::fakes::twilio
