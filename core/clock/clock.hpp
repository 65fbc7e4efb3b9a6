#pragma once

// Time for everything that waits: the Clock interface, the system clock used by
// throughput runs and production, and the manual clock that scenarios advance.
//
// Code never sleeps and never reads std::chrono clocks directly; it asks a Clock
// for now() and for timers. Timer callbacks must be short and must not block:
// they post their real work to an executor (and, under a manual clock, report
// that work to a WorkTracker so that advancing the clock can wait for it).

#include <chrono>
#include <cstdint>
#include <functional>

namespace candor::clock {

using Duration = std::chrono::microseconds;
/// Wall time in UTC with microsecond resolution.
using TimePoint = std::chrono::sys_time<Duration>;
using TimerId = std::uint64_t;

/// Source of the current time and of one-shot timers.
class Clock {
 public:
  virtual ~Clock() = default;

  /// The current time.
  virtual TimePoint now() const = 0;

  /// Calls `fn` once, when now() >= `when`. A time in the past fires as soon as
  /// possible. Timers due at the same time fire in the order they were set.
  /// Thread-safe; `fn` runs on the clock's own thread (SystemClock) or on the
  /// thread that advances the clock (ManualClock).
  virtual TimerId call_at(TimePoint when, std::function<void()> fn) = 0;

  /// Cancels a timer that has not fired yet; returns false when it already fired
  /// or never existed.
  virtual bool cancel(TimerId id) = 0;

  TimerId call_after(Duration delay, std::function<void()> fn) {
    return call_at(now() + delay, std::move(fn));
  }
};

/// Milliseconds since the Unix epoch, the form stored in the database and reports.
inline std::int64_t to_unix_ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline TimePoint from_unix_ms(std::int64_t ms) {
  return TimePoint(std::chrono::duration_cast<Duration>(std::chrono::milliseconds(ms)));
}

}  // namespace candor::clock
