#pragma once

// SystemClock: real time, with a timer thread of its own.

#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "core/clock/clock.hpp"
#include "core/clock/detail/timer_queue.hpp"

namespace candor::clock {

/// The real clock. Timers run on one internal thread, in due order. A callback
/// that throws is logged (logger "clock") and does not stop later timers.
class SystemClock final : public Clock {
 public:
  SystemClock();
  ~SystemClock() override;
  SystemClock(SystemClock const&) = delete;
  SystemClock& operator=(SystemClock const&) = delete;

  // Clock
  TimePoint now() const override;
  TimerId call_at(TimePoint when, std::function<void()> fn) override;
  bool cancel(TimerId id) override;

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  detail::TimerQueue timers_;
  TimerId next_id_ = 1;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace candor::clock
