#include "core/clock/manual_clock.hpp"

#include <algorithm>

namespace candor::clock {

ManualClock::ManualClock(TimePoint start, ManualClockOptions options)
    : now_(start), options_(options) {}

TimePoint ManualClock::now() const {
  std::lock_guard lock(mutex_);
  return now_;
}

TimerId ManualClock::call_at(TimePoint when, std::function<void()> fn) {
  std::lock_guard lock(mutex_);
  auto const id = next_id_++;
  // A timer set in the past fires at the current instant, after those already due.
  timers_.add(std::max(when, now_), id, std::move(fn));
  return id;
}

bool ManualClock::cancel(TimerId id) {
  std::lock_guard lock(mutex_);
  return timers_.cancel(id);
}

bool ManualClock::settle() {
  if (options_.tracker == nullptr) {
    return true;
  }
  return options_.tracker->wait_idle(options_.settle_timeout);
}

bool ManualClock::advance_to(TimePoint target) {
  bool settled = settle();
  for (;;) {
    std::function<void()> fn;
    {
      std::lock_guard lock(mutex_);
      if (timers_.empty() || timers_.next_due() > target) {
        now_ = std::max(now_, target);
        break;
      }
      now_ = std::max(now_, timers_.next_due());
      fn = timers_.pop_next();
    }
    fn();
    settled = settle() && settled;
  }
  return settled;
}

std::optional<TimePoint> ManualClock::next_timer() const {
  std::lock_guard lock(mutex_);
  if (timers_.empty()) {
    return std::nullopt;
  }
  return timers_.next_due();
}

std::size_t ManualClock::pending_timers() const {
  std::lock_guard lock(mutex_);
  return timers_.size();
}

}  // namespace candor::clock
