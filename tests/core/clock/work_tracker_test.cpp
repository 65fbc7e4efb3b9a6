#include "core/clock/work_tracker.hpp"

#include <chrono>
#include <thread>
#include <utility>

#include <gtest/gtest.h>

namespace candor::clock {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(WorkTracker, CountsBeginAndEnd) {
  WorkTracker tracker;
  EXPECT_EQ(tracker.pending(), 0);

  tracker.begin();
  tracker.begin();
  EXPECT_EQ(tracker.pending(), 2);

  tracker.end();
  tracker.end();
  EXPECT_EQ(tracker.pending(), 0);
}

TEST(WorkTracker, ScopeBeginsAndEnds) {
  WorkTracker tracker;
  {
    WorkTracker::Scope scope(&tracker);
    EXPECT_EQ(tracker.pending(), 1);
  }
  EXPECT_EQ(tracker.pending(), 0);
}

TEST(WorkTracker, ScopeWithoutTrackerDoesNothing) {
  WorkTracker::Scope scope(nullptr);
  scope.release();
  SUCCEED();
}

TEST(WorkTracker, MovedScopeEndsOnce) {
  WorkTracker tracker;
  {
    WorkTracker::Scope first(&tracker);
    WorkTracker::Scope second(std::move(first));
    EXPECT_EQ(tracker.pending(), 1);
    first.release();
    EXPECT_EQ(tracker.pending(), 1);
  }
  EXPECT_EQ(tracker.pending(), 0);
}

TEST(WorkTracker, MoveAssignmentEndsTheOverwrittenScope) {
  WorkTracker tracker;
  WorkTracker::Scope target(&tracker);
  WorkTracker::Scope source(&tracker);
  EXPECT_EQ(tracker.pending(), 2);

  target = std::move(source);
  EXPECT_EQ(tracker.pending(), 1);

  target.release();
  EXPECT_EQ(tracker.pending(), 0);
  target.release();
  EXPECT_EQ(tracker.pending(), 0);
}

TEST(WorkTracker, SelfMoveAssignmentKeepsTheWork) {
  WorkTracker tracker;
  WorkTracker::Scope scope(&tracker);
  auto& alias = scope;

  scope = std::move(alias);

  EXPECT_EQ(tracker.pending(), 1);
}

TEST(WorkTracker, WaitIdleReturnsAtOnceWhenIdle) {
  WorkTracker tracker;
  EXPECT_TRUE(tracker.wait_idle(milliseconds(0)));
}

TEST(WorkTracker, WaitIdleTimesOutWhileWorkIsPending) {
  WorkTracker tracker;
  WorkTracker::Scope scope(&tracker);
  EXPECT_FALSE(tracker.wait_idle(milliseconds(1)));
}

TEST(WorkTracker, WaitIdleWakesWhenAnotherThreadEnds) {
  WorkTracker tracker;
  WorkTracker::Scope scope(&tracker);
  std::thread worker([scope = std::move(scope)]() mutable { scope.release(); });

  EXPECT_TRUE(tracker.wait_idle(seconds(30)));

  worker.join();
}

TEST(WorkTrackerDeathTest, EndWithoutBeginAborts) {
  WorkTracker tracker;
  EXPECT_DEATH(tracker.end(), "every end\\(\\) pairs");
}

}  // namespace
}  // namespace candor::clock
