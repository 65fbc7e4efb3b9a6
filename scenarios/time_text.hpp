#pragma once

// Durations and times as scenarios write them: "90s", "15m", "1h30m", "1d",
// "250ms", "-5h"; "2024-03-01T09:00:00Z", "2024-03-01T09:00:00.250+02:00".

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock/clock.hpp"

namespace candor::scenarios {

/// The longest duration a scenario may write: 3,650 days (ten years).
inline constexpr clock::Duration kMaxScenarioDuration = std::chrono::hours(24 * 3650);

/// Parses a duration: one or more <integer><unit> parts with units d, h, m, s,
/// ms, us, optionally led by '-' (for offsets). A bare "0" is zero. nullopt for
/// anything else (empty text, a number without a unit, an unknown unit, a total
/// beyond about 146,000 years). Callers bound the value (kMaxScenarioDuration).
std::optional<clock::Duration> parse_duration(std::string_view text);

/// True when `text` is written like a duration but lasts longer than
/// kMaxScenarioDuration (however long), so that it can be called too large
/// rather than malformed.
bool is_duration_too_large(std::string_view text);

/// The shortest form parse_duration() reads back: "1h30m", "250ms", "0s".
std::string format_duration(clock::Duration d);

/// Parses an ISO 8601 date-time with seconds, optional fraction (up to
/// microseconds) and a zone of 'Z' or +hh:mm / -hh:mm; a date alone means
/// 00:00:00Z. nullopt for anything else, including impossible dates.
std::optional<clock::TimePoint> parse_iso_time(std::string_view text);

/// "2024-03-01T09:00:00Z", with ".250" (milliseconds) or ".250123" when needed.
std::string format_iso_time(clock::TimePoint t);

}  // namespace candor::scenarios
