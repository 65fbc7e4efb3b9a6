#include "scenarios/time_text.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <limits>

#include <fmt/format.h>

namespace candor::scenarios {

namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

/// Reads an unsigned decimal at `pos`; nullopt when there is none or it overflows.
std::optional<std::int64_t> read_number(std::string_view text, std::size_t& pos) {
  std::size_t const begin = pos;
  std::int64_t value = 0;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) != 0) {
    int const digit = text[pos] - '0';
    if (value > (std::numeric_limits<std::int64_t>::max() - digit) / 10) {
      return std::nullopt;
    }
    value = value * 10 + digit;
    ++pos;
  }
  if (pos == begin) {
    return std::nullopt;
  }
  return value;
}

/// Microseconds per unit, or 0 for an unknown unit.
std::int64_t unit_micros(std::string_view unit) {
  if (unit == "d")
    return std::chrono::duration_cast<microseconds>(days(1)).count();
  if (unit == "h")
    return std::chrono::duration_cast<microseconds>(hours(1)).count();
  if (unit == "m")
    return std::chrono::duration_cast<microseconds>(minutes(1)).count();
  if (unit == "s")
    return std::chrono::duration_cast<microseconds>(seconds(1)).count();
  if (unit == "ms")
    return 1000;
  if (unit == "us")
    return 1;
  return 0;
}

/// Reads exactly `width` digits.
std::optional<int> fixed_digits(std::string_view text, std::size_t pos, std::size_t width) {
  if (pos + width > text.size()) {
    return std::nullopt;
  }
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (std::isdigit(static_cast<unsigned char>(text[i])) == 0) {
      return std::nullopt;
    }
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

/// What scan_duration() found: whether the text is written like a duration, and
/// its value in microseconds (saturated at kSaturated when it does not fit).
struct ScannedDuration {
  bool well_formed = false;
  bool negative = false;
  std::int64_t micros = 0;
};

constexpr std::int64_t kSaturated = std::numeric_limits<std::int64_t>::max() / 2;

ScannedDuration scan_duration(std::string_view text) {
  ScannedDuration out;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    out.negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text == "0") {
    out.well_formed = true;
    return out;
  }
  if (text.empty()) {
    return out;
  }

  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t const digits_begin = pos;
    auto const number = read_number(text, pos);
    // A number too long for int64 still reads as a (too large) duration.
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) != 0) {
      ++pos;
    }
    if (pos == digits_begin) {
      return out;
    }
    std::size_t const unit_begin = pos;
    while (pos < text.size() && std::isalpha(static_cast<unsigned char>(text[pos])) != 0) {
      ++pos;
    }
    std::int64_t const per_unit = unit_micros(text.substr(unit_begin, pos - unit_begin));
    if (per_unit == 0) {
      return out;
    }
    if (!number || *number > kSaturated / per_unit) {
      out.micros = kSaturated;
    } else {
      out.micros = std::min(kSaturated, out.micros + *number * per_unit);
    }
  }
  out.well_formed = true;
  return out;
}

}  // namespace

std::optional<clock::Duration> parse_duration(std::string_view text) {
  ScannedDuration const scanned = scan_duration(text);
  if (!scanned.well_formed || scanned.micros >= kSaturated) {
    return std::nullopt;
  }
  return clock::Duration(scanned.negative ? -scanned.micros : scanned.micros);
}

bool is_duration_too_large(std::string_view text) {
  ScannedDuration const scanned = scan_duration(text);
  return scanned.well_formed && scanned.micros > kMaxScenarioDuration.count();
}

std::string format_duration(clock::Duration d) {
  std::int64_t us = d.count();
  if (us == 0) {
    return "0s";
  }
  std::string out = us < 0 ? "-" : "";
  if (us < 0) {
    us = -us;
  }

  // Largest units first; the sub-second part is written as ms when it is whole.
  struct Unit {
    char const* name;
    std::int64_t micros;
  };
  static constexpr Unit kUnits[] = {{"d", 86'400'000'000}, {"h", 3'600'000'000}, {"m", 60'000'000},
                                    {"s", 1'000'000},      {"ms", 1000},         {"us", 1}};
  for (Unit const& unit : kUnits) {
    if (us >= unit.micros) {
      out += fmt::format("{}{}", us / unit.micros, unit.name);
      us %= unit.micros;
    }
  }
  return out;
}

std::optional<clock::TimePoint> parse_iso_time(std::string_view text) {
  auto year = fixed_digits(text, 0, 4);
  auto month = fixed_digits(text, 5, 2);
  auto day = fixed_digits(text, 8, 2);
  if (!year || !month || !day || text[4] != '-' || text[7] != '-') {
    return std::nullopt;
  }
  std::chrono::year_month_day const ymd{std::chrono::year(*year),
                                        std::chrono::month(static_cast<unsigned>(*month)),
                                        std::chrono::day(static_cast<unsigned>(*day))};
  if (!ymd.ok()) {
    return std::nullopt;
  }
  clock::TimePoint t = std::chrono::sys_days(ymd);
  if (text.size() == 10) {
    return t;
  }

  // Time of day: Thh:mm:ss
  auto hh = fixed_digits(text, 11, 2);
  auto mm = fixed_digits(text, 14, 2);
  auto ss = fixed_digits(text, 17, 2);
  if ((text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !hh || !mm || !ss ||
      text[13] != ':' || text[16] != ':' || *hh > 23 || *mm > 59 || *ss > 59) {
    return std::nullopt;
  }
  t += hours(*hh) + minutes(*mm) + seconds(*ss);

  // Optional fraction, up to microseconds.
  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::int64_t micros = 0;
    int digits = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) != 0) {
      if (digits < 6) {
        micros = micros * 10 + (text[pos] - '0');
        ++digits;
      }
      ++pos;
    }
    if (digits == 0) {
      return std::nullopt;
    }
    for (int i = digits; i < 6; ++i) {
      micros *= 10;
    }
    t += microseconds(micros);
  }

  // Zone: Z or +hh:mm / -hh:mm; the local time minus the offset is UTC.
  std::string_view const zone = text.substr(pos);
  if (zone == "Z" || zone == "z") {
    return t;
  }
  auto oh = fixed_digits(zone, 1, 2);
  auto om = fixed_digits(zone, 4, 2);
  if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':' || !oh || !om ||
      *oh > 23 || *om > 59) {
    return std::nullopt;
  }
  auto const offset = hours(*oh) + minutes(*om);
  return zone[0] == '+' ? t - offset : t + offset;
}

std::string format_iso_time(clock::TimePoint t) {
  auto const day_start = std::chrono::floor<days>(t);
  std::chrono::year_month_day const ymd{day_start};
  std::chrono::hh_mm_ss<clock::Duration> const tod{t - day_start};
  std::int64_t const micros = tod.subseconds().count();

  std::string out =
      fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  tod.hours().count(), tod.minutes().count(), tod.seconds().count());
  if (micros % 1000 == 0 && micros != 0) {
    out += fmt::format(".{:03}", micros / 1000);
  } else if (micros != 0) {
    out += fmt::format(".{:06}", micros);
  }
  return out + "Z";
}

}  // namespace candor::scenarios
