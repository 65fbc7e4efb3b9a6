#include "core/clock/system_clock.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace candor::clock {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;

// Generous: only a hung timer thread should ever reach it.
constexpr auto kEventually = seconds(30);

TEST(SystemClock, NowFollowsTheSystemClock) {
  SystemClock clock;
  auto const before = std::chrono::system_clock::now();
  auto const now = clock.now();
  auto const after = std::chrono::system_clock::now();

  EXPECT_GE(now, std::chrono::time_point_cast<Duration>(before));
  EXPECT_LE(now, std::chrono::time_point_cast<Duration>(after) + Duration(1));
}

TEST(SystemClock, FiresATimerEventually) {
  SystemClock clock;
  std::promise<TimePoint> fired;

  auto const due = clock.now() + milliseconds(5);
  clock.call_at(due, [&] { fired.set_value(clock.now()); });

  auto result = fired.get_future();
  ASSERT_EQ(result.wait_for(kEventually), std::future_status::ready);
  EXPECT_GE(result.get(), due);
}

TEST(SystemClock, FiresTimersInDueOrder) {
  SystemClock clock;
  std::vector<int> fired;
  std::promise<void> done;
  auto const base = clock.now() + milliseconds(20);

  // Set in reverse so that order of arrival alone would give the wrong answer.
  clock.call_at(base + milliseconds(2), [&] {
    fired.push_back(3);
    done.set_value();
  });
  clock.call_at(base + milliseconds(1), [&] { fired.push_back(2); });
  clock.call_at(base, [&] { fired.push_back(1); });

  ASSERT_EQ(done.get_future().wait_for(kEventually), std::future_status::ready);
  EXPECT_THAT(fired, ElementsAre(1, 2, 3));
}

TEST(SystemClock, PastTimerFiresAtOnce) {
  SystemClock clock;
  std::promise<void> fired;

  clock.call_at(clock.now() - seconds(60), [&] { fired.set_value(); });

  EXPECT_EQ(fired.get_future().wait_for(kEventually), std::future_status::ready);
}

TEST(SystemClock, CancelledTimerNeverFires) {
  SystemClock clock;
  std::atomic<bool> cancelled_fired = false;
  std::promise<void> later_fired;

  auto const cancelled = clock.call_after(milliseconds(5), [&] { cancelled_fired = true; });
  ASSERT_TRUE(clock.cancel(cancelled));
  clock.call_after(milliseconds(10), [&] { later_fired.set_value(); });

  // Timers fire in due order, so once the later one ran the cancelled one would have.
  ASSERT_EQ(later_fired.get_future().wait_for(kEventually), std::future_status::ready);
  EXPECT_FALSE(cancelled_fired);
  EXPECT_FALSE(clock.cancel(cancelled));
}

TEST(SystemClock, CancelOfAFiredTimerReturnsFalse) {
  SystemClock clock;
  std::promise<void> fired;

  auto const id = clock.call_after(Duration::zero(), [&] { fired.set_value(); });

  ASSERT_EQ(fired.get_future().wait_for(kEventually), std::future_status::ready);
  EXPECT_FALSE(clock.cancel(id));
}

TEST(SystemClock, ATimerThatThrowsDoesNotStopTheTimerThread) {
  SystemClock clock;
  std::promise<void> later_fired;

  clock.call_after(Duration::zero(), [] { throw std::runtime_error("timer failed"); });
  clock.call_after(milliseconds(1), [&] { later_fired.set_value(); });

  EXPECT_EQ(later_fired.get_future().wait_for(kEventually), std::future_status::ready);
}

TEST(SystemClock, DestroyingWithPendingTimersDoesNotRunThem) {
  std::atomic<bool> fired = false;
  {
    SystemClock clock;
    clock.call_after(seconds(3600), [&] { fired = true; });
  }
  EXPECT_FALSE(fired);
}

}  // namespace
}  // namespace candor::clock
