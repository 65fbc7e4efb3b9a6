#pragma once

// TimerQueue: the pending timers of a clock, in due order, shared by the system
// and manual clocks. Not thread-safe; the owning clock holds its own mutex.

#include <cstddef>
#include <functional>
#include <map>
#include <unordered_map>
#include <utility>

#include "core/clock/clock.hpp"

namespace candor::clock::detail {

/// Timers ordered by (due time, id), so equal times keep their order of arrival,
/// with an index by id so that cancel() does not scan the queue.
class TimerQueue {
 public:
  /// Adds a timer; `id` must not be pending already.
  void add(TimePoint when, TimerId id, std::function<void()> fn);

  /// Removes a pending timer; false when `id` is not pending.
  bool cancel(TimerId id);

  bool empty() const { return timers_.empty(); }
  std::size_t size() const { return timers_.size(); }

  /// Due time of the earliest timer. Precondition: !empty().
  TimePoint next_due() const;

  /// Removes the earliest timer and returns its callback. Precondition: !empty().
  std::function<void()> pop_next();

 private:
  std::map<std::pair<TimePoint, TimerId>, std::function<void()>> timers_;
  std::unordered_map<TimerId, TimePoint> due_by_id_;
};

}  // namespace candor::clock::detail
