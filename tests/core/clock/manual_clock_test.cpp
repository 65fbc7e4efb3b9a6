#include "core/clock/manual_clock.hpp"

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/clock/work_tracker.hpp"

namespace candor::clock {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;

TimePoint const kStart = from_unix_ms(1'700'000'000'000);

TEST(ManualClock, StartsAtTheGivenTimeAndNeverMovesBack) {
  ManualClock clock(kStart);
  EXPECT_EQ(clock.now(), kStart);

  EXPECT_TRUE(clock.advance(seconds(5)));
  EXPECT_EQ(clock.now(), kStart + seconds(5));

  EXPECT_TRUE(clock.advance_to(kStart));
  EXPECT_EQ(clock.now(), kStart + seconds(5));
}

TEST(ManualClock, FiresTimersInTimeOrderAndMovesNowToEach) {
  ManualClock clock(kStart);
  std::vector<std::string> fired;
  std::vector<TimePoint> seen;
  clock.call_after(seconds(3), [&] {
    fired.push_back("third");
    seen.push_back(clock.now());
  });
  clock.call_after(seconds(1), [&] {
    fired.push_back("first");
    seen.push_back(clock.now());
  });
  clock.call_after(seconds(2), [&] {
    fired.push_back("second");
    seen.push_back(clock.now());
  });

  EXPECT_TRUE(clock.advance(seconds(10)));

  EXPECT_THAT(fired, ElementsAre("first", "second", "third"));
  EXPECT_THAT(seen, ElementsAre(kStart + seconds(1), kStart + seconds(2), kStart + seconds(3)));
  EXPECT_EQ(clock.now(), kStart + seconds(10));
}

TEST(ManualClock, EqualTimesFireInTheOrderTheyWereSet) {
  ManualClock clock(kStart);
  std::vector<int> fired;
  for (int i = 0; i < 5; ++i) {
    clock.call_at(kStart + seconds(1), [&fired, i] { fired.push_back(i); });
  }

  EXPECT_TRUE(clock.advance(seconds(1)));

  EXPECT_THAT(fired, ElementsAre(0, 1, 2, 3, 4));
}

TEST(ManualClock, LeavesTimersBeyondTheTargetPending) {
  ManualClock clock(kStart);
  int fired = 0;
  clock.call_after(seconds(1), [&] { ++fired; });
  clock.call_after(seconds(2), [&] { ++fired; });

  EXPECT_TRUE(clock.advance(milliseconds(1500)));

  EXPECT_EQ(fired, 1);
  EXPECT_EQ(clock.pending_timers(), 1u);
  EXPECT_EQ(clock.next_timer(), kStart + seconds(2));
}

TEST(ManualClock, FiresTheTimerDueExactlyAtTheTarget) {
  ManualClock clock(kStart);
  bool fired = false;
  clock.call_after(seconds(1), [&] { fired = true; });

  EXPECT_TRUE(clock.advance(seconds(1)));

  EXPECT_TRUE(fired);
  EXPECT_FALSE(clock.next_timer().has_value());
}

TEST(ManualClock, TimersSetDuringAdvanceFireInTheSameCall) {
  ManualClock clock(kStart);
  std::vector<std::string> fired;
  clock.call_after(seconds(1), [&] {
    fired.push_back("outer");
    clock.call_after(seconds(1), [&] { fired.push_back("inner"); });
    clock.call_after(seconds(100), [&] { fired.push_back("too late"); });
  });

  EXPECT_TRUE(clock.advance(seconds(5)));

  EXPECT_THAT(fired, ElementsAre("outer", "inner"));
  EXPECT_EQ(clock.pending_timers(), 1u);
}

TEST(ManualClock, TimerSetInThePastFiresAtNowAfterThoseAlreadyDue) {
  ManualClock clock(kStart + seconds(10));
  std::vector<std::string> fired;
  std::vector<TimePoint> seen;
  clock.call_at(kStart + seconds(10), [&] { fired.push_back("due now"); });
  clock.call_at(kStart, [&] {
    fired.push_back("past");
    seen.push_back(clock.now());
  });

  EXPECT_TRUE(clock.advance(Duration::zero()));

  EXPECT_THAT(fired, ElementsAre("due now", "past"));
  EXPECT_THAT(seen, ElementsAre(kStart + seconds(10)));
}

TEST(ManualClock, CancelStopsAPendingTimerOnly) {
  ManualClock clock(kStart);
  bool cancelled_fired = false;
  int kept_fired = 0;
  auto const cancelled = clock.call_after(seconds(1), [&] { cancelled_fired = true; });
  auto const kept = clock.call_after(seconds(1), [&] { ++kept_fired; });

  EXPECT_TRUE(clock.cancel(cancelled));
  EXPECT_FALSE(clock.cancel(cancelled));
  EXPECT_FALSE(clock.cancel(9999));
  EXPECT_TRUE(clock.advance(seconds(2)));

  EXPECT_FALSE(cancelled_fired);
  EXPECT_EQ(kept_fired, 1);
  EXPECT_FALSE(clock.cancel(kept));
}

TEST(ManualClock, ATimerMayCancelALaterOne) {
  ManualClock clock(kStart);
  bool later_fired = false;
  auto const later = clock.call_after(seconds(2), [&] { later_fired = true; });
  clock.call_after(seconds(1), [&] { EXPECT_TRUE(clock.cancel(later)); });

  EXPECT_TRUE(clock.advance(seconds(3)));

  EXPECT_FALSE(later_fired);
}

TEST(ManualClock, SettleWithoutTrackerReturnsAtOnce) {
  ManualClock clock(kStart);
  EXPECT_TRUE(clock.settle());
}

TEST(ManualClock, AdvanceWaitsForWorkStartedByATimerBeforeTheNextOne) {
  WorkTracker tracker;
  ManualClock clock(kStart, {.tracker = &tracker});
  std::promise<void> release_worker;
  std::thread worker;
  bool work_done = false;
  bool work_done_seen_by_next = false;
  clock.call_after(seconds(1), [&] {
    WorkTracker::Scope scope(&tracker);
    worker = std::thread([&, scope = std::move(scope), go = release_worker.get_future()]() mutable {
      go.wait();
      work_done = true;
    });
  });
  clock.call_after(seconds(2), [&] { work_done_seen_by_next = work_done; });

  // The worker may finish only after the first timer has returned, so the
  // second timer can see its result only if advance waited for the tracker.
  std::thread releaser([&] {
    while (tracker.pending() == 0) {
      std::this_thread::yield();
    }
    release_worker.set_value();
  });
  EXPECT_TRUE(clock.advance(seconds(3)));
  releaser.join();
  worker.join();

  EXPECT_TRUE(work_done_seen_by_next);
  EXPECT_EQ(tracker.pending(), 0);
}

TEST(ManualClock, SettleWaitsForPendingWork) {
  WorkTracker tracker;
  ManualClock clock(kStart, {.tracker = &tracker});
  tracker.begin();
  std::thread finisher([&] { tracker.end(); });

  EXPECT_TRUE(clock.settle());

  finisher.join();
  EXPECT_EQ(tracker.pending(), 0);
}

TEST(ManualClock, SettleTimeoutReturnsFalse) {
  WorkTracker tracker;
  ManualClock clock(kStart, {.tracker = &tracker, .settle_timeout = milliseconds(1)});
  tracker.begin();

  EXPECT_FALSE(clock.settle());

  tracker.end();
  EXPECT_TRUE(clock.settle());
}

TEST(ManualClock, AdvanceReportsAStuckTimerButStillReachesTheTarget) {
  WorkTracker tracker;
  ManualClock clock(kStart, {.tracker = &tracker, .settle_timeout = milliseconds(1)});
  int later_fired = 0;
  clock.call_after(seconds(1), [&] { tracker.begin(); });
  clock.call_after(seconds(2), [&] { ++later_fired; });

  EXPECT_FALSE(clock.advance(seconds(3)));

  EXPECT_EQ(later_fired, 1);
  EXPECT_EQ(clock.now(), kStart + seconds(3));
  tracker.end();
}

TEST(ManualClock, UnixMillisecondsRoundTrip) {
  EXPECT_EQ(to_unix_ms(kStart), 1'700'000'000'000);
  EXPECT_EQ(to_unix_ms(from_unix_ms(-1)), -1);
  EXPECT_EQ(to_unix_ms(kStart + std::chrono::microseconds(999)), 1'700'000'000'000);
}

}  // namespace
}  // namespace candor::clock
