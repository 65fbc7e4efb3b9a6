#include "core/policy/quota_book.hpp"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace candor::policy {
namespace {

using domain::BlockReason;

constexpr std::int64_t kDay = 19'000;
QuotaLimits const kTwoPerCandidate{.per_candidate = 2};

TEST(QuotaBook, CountsPhoneCandidateAndApplication) {
  QuotaBook book;
  EXPECT_FALSE(book.day().has_value());

  EXPECT_EQ(book.try_take(kDay, "+14155550100", "CAND-1", {}), BlockReason::kNone);

  EXPECT_EQ(book.day(), kDay);
  EXPECT_EQ(book.count(kDay, QuotaScope::kPhone, "+14155550100"), 1);
  EXPECT_EQ(book.count(kDay, QuotaScope::kCandidate, "CAND-1"), 1);
  EXPECT_EQ(book.count(kDay, QuotaScope::kApplication, ""), 1);
  EXPECT_EQ(book.count(kDay - 1, QuotaScope::kApplication, ""), 0);
}

TEST(QuotaBook, SharedPhoneHitsThePerPhoneLimitAcrossCandidateNumbers) {
  QuotaBook book;
  EXPECT_EQ(book.try_take(kDay, "+14155550100", "CAND-1", kTwoPerCandidate), BlockReason::kNone);
  EXPECT_EQ(book.try_take(kDay, "+14155550100", "CAND-2", kTwoPerCandidate), BlockReason::kNone);

  EXPECT_EQ(book.try_take(kDay, "+14155550100", "CAND-3", kTwoPerCandidate),
            BlockReason::kCandidateDailyLimit);
  EXPECT_EQ(book.count(kDay, QuotaScope::kCandidate, "CAND-3"), 0);
}

TEST(QuotaBook, CandidateNumberHitsItsLimitAcrossPhones) {
  QuotaBook book;
  EXPECT_EQ(book.try_take(kDay, "+14155550100", "CAND-1", kTwoPerCandidate), BlockReason::kNone);
  EXPECT_EQ(book.try_take(kDay, "+14155550101", "CAND-1", kTwoPerCandidate), BlockReason::kNone);

  EXPECT_EQ(book.try_take(kDay, "+14155550102", "CAND-1", kTwoPerCandidate),
            BlockReason::kCandidateDailyLimit);
  EXPECT_EQ(book.count(kDay, QuotaScope::kPhone, "+14155550102"), 0);
  EXPECT_EQ(book.count(kDay, QuotaScope::kApplication, ""), 2);
}

TEST(QuotaBook, ApplicationLimitBlocksEveryone) {
  QuotaBook book;
  QuotaLimits const limits{.per_candidate = 5, .application = 2};
  EXPECT_EQ(book.try_take(kDay, "+14155550100", "CAND-1", limits), BlockReason::kNone);
  EXPECT_EQ(book.try_take(kDay, "+14155550101", "CAND-2", limits), BlockReason::kNone);

  EXPECT_EQ(book.try_take(kDay, "+14155550102", "CAND-3", limits),
            BlockReason::kApplicationDailyLimit);
  EXPECT_EQ(book.count(kDay, QuotaScope::kPhone, "+14155550102"), 0);
  EXPECT_EQ(book.count(kDay, QuotaScope::kCandidate, "CAND-3"), 0);
}

TEST(QuotaBook, CandidateLimitIsReportedBeforeApplicationLimit) {
  QuotaBook book;
  QuotaLimits const limits{.per_candidate = 1, .application = 1};
  EXPECT_EQ(book.try_take(kDay, "+14155550100", "CAND-1", limits), BlockReason::kNone);
  EXPECT_EQ(book.try_take(kDay, "+14155550100", "CAND-1", limits),
            BlockReason::kCandidateDailyLimit);
  EXPECT_EQ(book.try_take(kDay, "+14155550101", "CAND-2", limits),
            BlockReason::kApplicationDailyLimit);
}

TEST(QuotaBook, ZeroLimitAdmitsNothing) {
  QuotaBook book;
  EXPECT_EQ(book.try_take(kDay, "+14155550100", "CAND-1", {.per_candidate = 0}),
            BlockReason::kCandidateDailyLimit);
  EXPECT_EQ(book.try_take(kDay, "+14155550100", "CAND-1", {.application = 0}),
            BlockReason::kApplicationDailyLimit);
}

TEST(QuotaBook, LaterDayStartsFresh) {
  QuotaBook book;
  QuotaLimits const limits{.per_candidate = 1, .application = 1};
  EXPECT_EQ(book.try_take(kDay, "+14155550100", "CAND-1", limits), BlockReason::kNone);
  EXPECT_EQ(book.try_take(kDay, "+14155550100", "CAND-1", limits),
            BlockReason::kCandidateDailyLimit);

  std::int64_t counted = 0;
  EXPECT_EQ(book.try_take(kDay + 1, "+14155550100", "CAND-1", limits, &counted),
            BlockReason::kNone);
  EXPECT_EQ(counted, kDay + 1);
  EXPECT_EQ(book.day(), kDay + 1);
  EXPECT_EQ(book.count(kDay + 1, QuotaScope::kApplication, ""), 1);
  EXPECT_EQ(book.count(kDay, QuotaScope::kPhone, "+14155550100"), 0);
}

TEST(QuotaBook, EarlierDayIsCountedOnTheBooksDay) {
  QuotaBook book;
  EXPECT_EQ(book.try_take(kDay + 1, "+14155550100", "CAND-1", {}), BlockReason::kNone);

  std::int64_t counted = 0;
  EXPECT_EQ(book.try_take(kDay, "+14155550100", "CAND-1", {}, &counted), BlockReason::kNone);

  EXPECT_EQ(counted, kDay + 1);
  EXPECT_EQ(book.count(kDay + 1, QuotaScope::kPhone, "+14155550100"), 2);
}

TEST(QuotaBook, GiveBackUndoesATake) {
  QuotaBook book;
  QuotaLimits const limits{.per_candidate = 1, .application = 1};
  EXPECT_EQ(book.try_take(kDay, "+14155550100", "CAND-1", limits), BlockReason::kNone);

  book.give_back(kDay, "+14155550100", "CAND-1");

  EXPECT_EQ(book.count(kDay, QuotaScope::kPhone, "+14155550100"), 0);
  EXPECT_EQ(book.count(kDay, QuotaScope::kCandidate, "CAND-1"), 0);
  EXPECT_EQ(book.count(kDay, QuotaScope::kApplication, ""), 0);
  EXPECT_EQ(book.try_take(kDay, "+14155550100", "CAND-1", limits), BlockReason::kNone);
}

TEST(QuotaBook, GiveBackOfAnEarlierDayChangesNothing) {
  QuotaBook book;
  EXPECT_EQ(book.try_take(kDay, "+14155550100", "CAND-1", {}), BlockReason::kNone);
  EXPECT_EQ(book.try_take(kDay + 1, "+14155550100", "CAND-1", {}), BlockReason::kNone);

  book.give_back(kDay, "+14155550100", "CAND-1");

  EXPECT_EQ(book.count(kDay + 1, QuotaScope::kPhone, "+14155550100"), 1);
  EXPECT_EQ(book.count(kDay + 1, QuotaScope::kApplication, ""), 1);
}

TEST(QuotaBook, EmptyCandidateNumberCountsOnlyThePhone) {
  QuotaBook book;
  EXPECT_EQ(book.try_take(kDay, "+14155550100", "", {.per_candidate = 1}), BlockReason::kNone);
  EXPECT_EQ(book.count(kDay, QuotaScope::kCandidate, ""), 0);
  EXPECT_EQ(book.try_take(kDay, "+14155550101", "", {.per_candidate = 1}), BlockReason::kNone);
}

TEST(QuotaBook, LoadReplacesTheCounters) {
  QuotaBook book;
  EXPECT_EQ(book.try_take(kDay - 1, "+14155550199", "CAND-9", {}), BlockReason::kNone);

  book.load(kDay, {{.scope = QuotaScope::kPhone, .key = "+14155550100", .count = 2},
                   {.scope = QuotaScope::kCandidate, .key = "CAND-1", .count = 3},
                   {.scope = QuotaScope::kApplication, .key = "", .count = 7}});

  EXPECT_EQ(book.day(), kDay);
  EXPECT_EQ(book.count(kDay, QuotaScope::kPhone, "+14155550100"), 2);
  EXPECT_EQ(book.count(kDay, QuotaScope::kCandidate, "CAND-1"), 3);
  EXPECT_EQ(book.count(kDay, QuotaScope::kApplication, ""), 7);
  EXPECT_EQ(book.count(kDay, QuotaScope::kPhone, "+14155550199"), 0);
  EXPECT_EQ(book.try_take(kDay, "+14155550100", "CAND-2", {.per_candidate = 2}),
            BlockReason::kCandidateDailyLimit);
}

TEST(QuotaBook, ConcurrentTakesAtTheLimitAdmitExactlyTheLimit) {
  QuotaBook book;
  constexpr int kLimit = 500;
  constexpr int kThreads = 8;
  constexpr int kTriesPerThread = 400;
  std::atomic<int> admitted{0};

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kTriesPerThread; ++i) {
        // Every take names a different phone and candidate, so only the
        // application limit can stop them.
        auto const key = std::to_string(t * kTriesPerThread + i);
        if (book.try_take(kDay, "+1" + key, "CAND-" + key, {.application = kLimit}) ==
            BlockReason::kNone) {
          admitted.fetch_add(1);
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }

  EXPECT_EQ(admitted.load(), kLimit);
  EXPECT_EQ(book.count(kDay, QuotaScope::kApplication, ""), kLimit);
}

TEST(QuotaBook, ConcurrentTakesOnOneCandidateAdmitExactlyTheLimit) {
  QuotaBook book;
  constexpr int kLimit = 100;
  std::atomic<int> admitted{0};

  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        // Alternate phones so the candidate number is the shared counter.
        auto const phone = "+1415555" + std::to_string(1000 + t * 200 + i);
        if (book.try_take(kDay, phone, "CAND-1", {.per_candidate = kLimit}) == BlockReason::kNone) {
          admitted.fetch_add(1);
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }

  EXPECT_EQ(admitted.load(), kLimit);
  EXPECT_EQ(book.count(kDay, QuotaScope::kCandidate, "CAND-1"), kLimit);
}

TEST(QuotaScope, HasStableNames) {
  EXPECT_EQ(to_string(QuotaScope::kPhone), "phone");
  EXPECT_EQ(to_string(QuotaScope::kCandidate), "candidate");
  EXPECT_EQ(to_string(QuotaScope::kApplication), "application");
}

}  // namespace
}  // namespace candor::policy
