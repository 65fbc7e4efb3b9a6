#include "core/clock/system_clock.hpp"

#include <algorithm>
#include <exception>

#include "core/common/log.hpp"
#include "core/common/thread_name.hpp"

namespace candor::clock {
namespace {

// An exception leaving the timer thread would terminate the process and stop
// every later timer, so a throwing callback is logged and the thread goes on.
void run_timer(std::function<void()> const& fn) {
  try {
    fn();
  } catch (std::exception const& e) {
    log::get("clock").error("timer callback threw: {}", e.what());
  } catch (...) {
    log::get("clock").error("timer callback threw a non-standard exception");
  }
}

}  // namespace

SystemClock::SystemClock()
    : thread_([this] {
        name_this_thread("candor-clock");
        run();
      }) {}

SystemClock::~SystemClock() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

TimePoint SystemClock::now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

TimerId SystemClock::call_at(TimePoint when, std::function<void()> fn) {
  TimerId id = 0;
  {
    std::lock_guard lock(mutex_);
    id = next_id_++;
    timers_.add(when, id, std::move(fn));
  }
  wake_.notify_all();
  return id;
}

bool SystemClock::cancel(TimerId id) {
  std::lock_guard lock(mutex_);
  return timers_.cancel(id);
}

void SystemClock::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (timers_.empty()) {
      wake_.wait(lock);
      continue;
    }
    auto const due = timers_.next_due();
    if (now() < due) {
      // The system clock may jump; waiting on it keeps timers in wall time. The
      // wait is capped so that a far-future timer cannot overflow the conversion
      // to the system clock's nanoseconds.
      auto const wake_at = std::min(due, now() + std::chrono::hours(24));
      wake_.wait_until(lock, std::chrono::system_clock::time_point(wake_at));
      continue;
    }
    auto fn = timers_.pop_next();
    lock.unlock();
    run_timer(fn);
    lock.lock();
  }
}

}  // namespace candor::clock
