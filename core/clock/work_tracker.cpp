#include "core/clock/work_tracker.hpp"

#include "core/common/check.hpp"

namespace candor::clock {

void WorkTracker::begin() {
  std::lock_guard lock(mutex_);
  ++pending_;
}

void WorkTracker::end() {
  bool now_idle = false;
  {
    std::lock_guard lock(mutex_);
    CANDOR_CHECK(pending_ > 0, "every end() pairs with an earlier begin()");
    now_idle = --pending_ == 0;
  }
  if (now_idle) {
    idle_.notify_all();
  }
}

std::int64_t WorkTracker::pending() const {
  std::lock_guard lock(mutex_);
  return pending_;
}

bool WorkTracker::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, timeout, [this] { return pending_ == 0; });
}

}  // namespace candor::clock
