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
  timers_.emplace(std::make_pair(std::max(when, now_), id), std::move(fn));
  return id;
}

bool ManualClock::cancel(TimerId id) {
  std::lock_guard lock(mutex_);
  auto const it = std::find_if(timers_.begin(), timers_.end(),
                               [id](auto const& entry) { return entry.first.second == id; });
  if (it == timers_.end()) {
    return false;
  }
  timers_.erase(it);
  return true;
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
      if (timers_.empty() || timers_.begin()->first.first > target) {
        now_ = std::max(now_, target);
        break;
      }
      auto node = timers_.extract(timers_.begin());
      now_ = std::max(now_, node.key().first);
      fn = std::move(node.mapped());
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
  return timers_.begin()->first.first;
}

std::size_t ManualClock::pending_timers() const {
  std::lock_guard lock(mutex_);
  return timers_.size();
}

}  // namespace candor::clock
