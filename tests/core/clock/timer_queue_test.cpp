#include "core/clock/detail/timer_queue.hpp"

#include <chrono>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace candor::clock::detail {
namespace {

using std::chrono::seconds;
using ::testing::ElementsAre;

TimePoint const kStart = from_unix_ms(1'700'000'000'000);

void run_all(TimerQueue& queue) {
  while (!queue.empty()) {
    queue.pop_next()();
  }
}

TEST(TimerQueue, PopsInDueOrderThenArrivalOrder) {
  TimerQueue queue;
  std::vector<std::string> fired;
  queue.add(kStart + seconds(2), 1, [&] { fired.push_back("late"); });
  queue.add(kStart + seconds(1), 2, [&] { fired.push_back("early a"); });
  queue.add(kStart + seconds(1), 3, [&] { fired.push_back("early b"); });

  EXPECT_EQ(queue.size(), 3u);
  EXPECT_EQ(queue.next_due(), kStart + seconds(1));
  run_all(queue);

  EXPECT_THAT(fired, ElementsAre("early a", "early b", "late"));
}

TEST(TimerQueue, CancelRemovesOnlyThatTimer) {
  TimerQueue queue;
  std::vector<std::string> fired;
  queue.add(kStart, 1, [&] { fired.push_back("one"); });
  queue.add(kStart, 2, [&] { fired.push_back("two"); });

  EXPECT_TRUE(queue.cancel(1));
  EXPECT_FALSE(queue.cancel(1));
  EXPECT_FALSE(queue.cancel(42));
  EXPECT_EQ(queue.size(), 1u);
  run_all(queue);

  EXPECT_THAT(fired, ElementsAre("two"));
}

TEST(TimerQueue, PoppedTimerCannotBeCancelled) {
  TimerQueue queue;
  queue.add(kStart, 7, [] {});

  queue.pop_next();

  EXPECT_FALSE(queue.cancel(7));
  EXPECT_TRUE(queue.empty());
}

TEST(TimerQueueDeathTest, RefusesAnIdTwice) {
  TimerQueue queue;
  queue.add(kStart, 1, [] {});
  EXPECT_DEATH(queue.add(kStart + seconds(1), 1, [] {}), "each timer id once");
}

}  // namespace
}  // namespace candor::clock::detail
