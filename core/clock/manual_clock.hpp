#pragma once

// ManualClock: virtual time that moves only when told to.

#include <chrono>
#include <mutex>
#include <optional>
#include <utility>

#include "core/clock/clock.hpp"
#include "core/clock/detail/timer_queue.hpp"
#include "core/clock/work_tracker.hpp"

namespace candor::clock {

/// Options of a ManualClock.
struct ManualClockOptions {
  /// Work to wait for after each fired timer; nullptr waits for nothing.
  WorkTracker* tracker = nullptr;
  /// How long (real time) to wait for the tracker to go idle after one timer
  /// before giving up; a stuck wait is reported by advance_to().
  std::chrono::milliseconds settle_timeout = std::chrono::seconds(30);
};

/// Virtual time for scenarios and tests. advance_to() fires every timer due up to
/// the target in time order, moving now() to each timer's time as it fires, and
/// after each one waits until the tracker reports no pending work. Timers that
/// the work sets at or before the target fire in the same call. A day of traffic
/// therefore takes as long as its work, not as long as a day.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start, ManualClockOptions options = {});

  // Clock
  TimePoint now() const override;
  TimerId call_at(TimePoint when, std::function<void()> fn) override;
  bool cancel(TimerId id) override;

  /// Moves now() to `target` (never backwards), firing due timers on the calling
  /// thread. Returns false when the tracker did not go idle within the settle
  /// timeout after some timer; time still reaches `target`.
  [[nodiscard]] bool advance_to(TimePoint target);
  [[nodiscard]] bool advance(Duration delta) { return advance_to(now() + delta); }

  /// Waits for pending work without moving time; false on timeout.
  [[nodiscard]] bool settle();

  /// Due time of the earliest timer, if any.
  std::optional<TimePoint> next_timer() const;
  std::size_t pending_timers() const;

 private:
  mutable std::mutex mutex_;
  TimePoint now_;
  ManualClockOptions options_;
  detail::TimerQueue timers_;
  TimerId next_id_ = 1;
};

}  // namespace candor::clock
