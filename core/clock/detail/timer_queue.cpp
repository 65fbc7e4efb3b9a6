#include "core/clock/detail/timer_queue.hpp"

#include "core/common/check.hpp"

namespace candor::clock::detail {

void TimerQueue::add(TimePoint when, TimerId id, std::function<void()> fn) {
  auto const [at, inserted] = due_by_id_.emplace(id, when);
  CANDOR_CHECK(inserted, "clocks hand out each timer id once");
  timers_.emplace(std::make_pair(when, id), std::move(fn));
}

bool TimerQueue::cancel(TimerId id) {
  auto const found = due_by_id_.find(id);
  if (found == due_by_id_.end()) {
    return false;
  }
  timers_.erase(std::make_pair(found->second, id));
  due_by_id_.erase(found);
  return true;
}

TimePoint TimerQueue::next_due() const {
  CANDOR_CHECK(!timers_.empty(), "callers check empty() first");
  return timers_.begin()->first.first;
}

std::function<void()> TimerQueue::pop_next() {
  CANDOR_CHECK(!timers_.empty(), "callers check empty() first");
  auto node = timers_.extract(timers_.begin());
  due_by_id_.erase(node.key().second);
  return std::move(node.mapped());
}

}  // namespace candor::clock::detail
