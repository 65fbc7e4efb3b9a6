#include "core/policy/send_policy.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace candor::policy {
namespace {

using domain::BlockReason;
using std::chrono::hours;
using std::chrono::minutes;

// 2024-03-10 00:00:00 UTC; 19792 days after the epoch.
clock::TimePoint const kMidnight = clock::from_unix_ms(1'710'028'800'000);
constexpr std::int64_t kMidnightDay = 19'792;

std::unique_ptr<SendPolicy> make(PolicyConfig config) {
  auto policy = SendPolicy::create(std::move(config));
  EXPECT_TRUE(policy.ok()) << policy.error().message;
  return policy.ok() ? std::move(*policy) : nullptr;
}

SmsRequest request(std::string_view phone, std::string_view candidate = "CAND-1",
                   bool opted_out = false) {
  return {.phone = phone, .candidate_number = candidate, .opted_out = opted_out};
}

PolicyConfig full_rules() {
  return {.allowed_countries = {"US", "GB"},
          .blocked_numbers = {"+1 212 555 0199"},
          .blocked_patterns = {"1800.*"},
          .candidate_daily_limit = 2,
          .application_daily_limit = 3};
}

TEST(SendPolicy, AdmitsAndReportsTheNumber) {
  auto policy = make(full_rules());
  ASSERT_NE(policy, nullptr);

  auto const decision = policy->decide(request("(212) 555-0100"), kMidnight);

  EXPECT_TRUE(decision.admitted());
  EXPECT_EQ(decision.e164, "+12125550100");
  EXPECT_EQ(decision.region, "US");
  EXPECT_EQ(decision.day, kMidnightDay);
}

TEST(SendPolicy, GivesEveryBlockReason) {
  auto policy = make(full_rules());
  ASSERT_NE(policy, nullptr);

  EXPECT_EQ(policy->decide(request("not a phone"), kMidnight).reason, BlockReason::kInvalidNumber);
  EXPECT_EQ(policy->decide(request("+12125550100", "CAND-1", true), kMidnight).reason,
            BlockReason::kOptedOut);
  EXPECT_EQ(policy->decide(request("+33 1 42 68 53 00"), kMidnight).reason,
            BlockReason::kCountryNotAllowed);
  EXPECT_EQ(policy->decide(request("+12125550199"), kMidnight).reason, BlockReason::kNumberBlocked);
  EXPECT_EQ(policy->decide(request("+18005550100"), kMidnight).reason,
            BlockReason::kPatternBlocked);

  EXPECT_TRUE(policy->decide(request("+12125550100", "CAND-1"), kMidnight).admitted());
  EXPECT_TRUE(policy->decide(request("+12125550100", "CAND-1"), kMidnight).admitted());
  EXPECT_EQ(policy->decide(request("+12125550100", "CAND-1"), kMidnight).reason,
            BlockReason::kCandidateDailyLimit);

  EXPECT_TRUE(policy->decide(request("+12125550101", "CAND-2"), kMidnight).admitted());
  EXPECT_EQ(policy->decide(request("+12125550102", "CAND-3"), kMidnight).reason,
            BlockReason::kApplicationDailyLimit);
}

TEST(SendPolicy, ChecksCountryFromTheNumberItself) {
  auto us_only = make({.allowed_countries = {"US"}});
  auto us_and_ca = make({.allowed_countries = {"US", "CA"}});
  ASSERT_NE(us_only, nullptr);
  ASSERT_NE(us_and_ca, nullptr);

  auto const toronto = request("+1 416 555 0199");
  auto const blocked = us_only->check(toronto);
  EXPECT_EQ(blocked.reason, BlockReason::kCountryNotAllowed);
  EXPECT_EQ(blocked.region, "CA");
  EXPECT_EQ(blocked.e164, "+14165550199");

  EXPECT_TRUE(us_and_ca->check(toronto).admitted());
  EXPECT_TRUE(us_only->check(request("+1 212 555 0100")).admitted());
  EXPECT_EQ(us_and_ca->check(request("+1 876 555 0100")).reason, BlockReason::kCountryNotAllowed);
}

TEST(SendPolicy, UnparsableComesBeforeOptedOut) {
  auto policy = make(full_rules());
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->check(request("12", "CAND-1", true)).reason, BlockReason::kInvalidNumber);
}

TEST(SendPolicy, OptedOutComesBeforeCountry) {
  auto policy = make(full_rules());
  ASSERT_NE(policy, nullptr);
  auto const decision = policy->check(request("+1 416 555 0199", "CAND-1", true));
  EXPECT_EQ(decision.reason, BlockReason::kOptedOut);
  EXPECT_EQ(decision.region, "CA");
}

TEST(SendPolicy, CountryComesBeforeBlockedNumberAndPattern) {
  auto policy = make({.allowed_countries = {"US"},
                      .blocked_numbers = {"+14165550199"},
                      .blocked_patterns = {"1416.*"}});
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->check(request("+14165550199")).reason, BlockReason::kCountryNotAllowed);
}

TEST(SendPolicy, BlockedNumberComesBeforePattern) {
  auto policy = make({.blocked_numbers = {"+18005550100"}, .blocked_patterns = {"1800.*"}});
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->check(request("+18005550100")).reason, BlockReason::kNumberBlocked);
}

TEST(SendPolicy, BlockedNumberOverLimitReportsTheBlockedNumber) {
  auto policy = make({.blocked_numbers = {"+12125550199"}, .candidate_daily_limit = 0});
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->decide(request("+12125550199"), kMidnight).reason, BlockReason::kNumberBlocked);
  EXPECT_EQ(policy->decide(request("+12125550100"), kMidnight).reason,
            BlockReason::kCandidateDailyLimit);
}

TEST(SendPolicy, PerPhoneLimitIsSharedByCandidateNumbers) {
  auto policy = make({.candidate_daily_limit = 2});
  ASSERT_NE(policy, nullptr);
  EXPECT_TRUE(policy->decide(request("+12125550100", "CAND-1"), kMidnight).admitted());
  // The same number, spelled differently, counts on the same phone.
  EXPECT_TRUE(policy->decide(request("(212) 555-0100", "CAND-2"), kMidnight).admitted());
  EXPECT_EQ(policy->decide(request("+12125550100", "CAND-3"), kMidnight).reason,
            BlockReason::kCandidateDailyLimit);
}

TEST(SendPolicy, PerCandidateNumberLimitSpansPhones) {
  auto policy = make({.candidate_daily_limit = 2});
  ASSERT_NE(policy, nullptr);
  EXPECT_TRUE(policy->decide(request("+12125550100", "CAND-1"), kMidnight).admitted());
  EXPECT_TRUE(policy->decide(request("+12125550101", "CAND-1"), kMidnight).admitted());
  EXPECT_EQ(policy->decide(request("+12125550102", "CAND-1"), kMidnight).reason,
            BlockReason::kCandidateDailyLimit);
}

TEST(SendPolicy, BlockedMessagesDoNotCount) {
  auto policy = make(
      {.blocked_patterns = {"1800.*"}, .candidate_daily_limit = 1, .application_daily_limit = 1});
  ASSERT_NE(policy, nullptr);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(policy->decide(request("+18005550100", "CAND-1"), kMidnight).reason,
              BlockReason::kPatternBlocked);
    EXPECT_EQ(policy->decide(request("+12125550100", "CAND-1", true), kMidnight).reason,
              BlockReason::kOptedOut);
  }
  auto const day = policy->day_of(kMidnight);
  EXPECT_EQ(policy->quota().count(day, QuotaScope::kApplication, ""), 0);

  EXPECT_TRUE(policy->decide(request("+12125550100", "CAND-1"), kMidnight).admitted());
  EXPECT_EQ(policy->decide(request("+12125550100", "CAND-1"), kMidnight).reason,
            BlockReason::kCandidateDailyLimit);
  EXPECT_EQ(policy->quota().count(day, QuotaScope::kApplication, ""), 1);
}

TEST(SendPolicy, CheckTakesNothing) {
  auto policy = make({.candidate_daily_limit = 1});
  ASSERT_NE(policy, nullptr);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(policy->check(request("+12125550100")).admitted());
  }
  EXPECT_TRUE(policy->decide(request("+12125550100"), kMidnight).admitted());
}

TEST(SendPolicy, GiveBackReturnsTheSlot) {
  auto policy = make({.candidate_daily_limit = 1});
  ASSERT_NE(policy, nullptr);
  auto const first = policy->decide(request("+12125550100"), kMidnight);
  ASSERT_TRUE(first.admitted());
  auto const second = policy->decide(request("+12125550100"), kMidnight);
  EXPECT_FALSE(second.admitted());

  policy->give_back(second, "CAND-1");
  EXPECT_FALSE(policy->decide(request("+12125550100"), kMidnight).admitted());
  policy->give_back(first, "CAND-1");
  EXPECT_TRUE(policy->decide(request("+12125550100"), kMidnight).admitted());
}

TEST(SendPolicy, DayRollsOverAtUtcMidnightByDefault) {
  auto policy = make({.candidate_daily_limit = 1});
  ASSERT_NE(policy, nullptr);
  auto const before = kMidnight - std::chrono::seconds(1);

  EXPECT_EQ(policy->day_of(before), kMidnightDay - 1);
  EXPECT_EQ(policy->day_of(kMidnight), kMidnightDay);
  EXPECT_TRUE(policy->decide(request("+12125550100"), before).admitted());
  EXPECT_FALSE(policy->decide(request("+12125550100"), before).admitted());

  auto const next = policy->decide(request("+12125550100"), kMidnight);
  EXPECT_TRUE(next.admitted());
  EXPECT_EQ(next.day, kMidnightDay);
}

TEST(SendPolicy, DayStartsAtLocalMidnightWithAnOffset) {
  // Days start at 00:00 UTC-5, which is 05:00 UTC.
  auto policy = make({.candidate_daily_limit = 1, .day_start_offset = -hours(5)});
  ASSERT_NE(policy, nullptr);
  auto const local_midnight = kMidnight + hours(5);

  EXPECT_EQ(policy->day_of(kMidnight), kMidnightDay - 1);
  EXPECT_EQ(policy->day_of(local_midnight - std::chrono::microseconds(1)), kMidnightDay - 1);
  EXPECT_EQ(policy->day_of(local_midnight), kMidnightDay);

  EXPECT_TRUE(policy->decide(request("+12125550100"), kMidnight).admitted());
  EXPECT_FALSE(policy->decide(request("+12125550100"), local_midnight - minutes(1)).admitted());
  EXPECT_TRUE(policy->decide(request("+12125550100"), local_midnight).admitted());
}

TEST(SendPolicy, PositiveOffsetStartsTheDayBeforeUtcMidnight) {
  // Days start at 00:00 UTC+9, which is 15:00 UTC of the day before.
  auto policy = make({.day_start_offset = hours(9)});
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->day_of(kMidnight - hours(9)), kMidnightDay);
  EXPECT_EQ(policy->day_of(kMidnight - hours(9) - minutes(1)), kMidnightDay - 1);
}

TEST(SendPolicy, ConcurrentDecisionsAtTheLimitAdmitExactlyTheLimit) {
  constexpr int kLimit = 300;
  auto policy = make({.candidate_daily_limit = kLimit, .application_daily_limit = kLimit});
  ASSERT_NE(policy, nullptr);
  std::atomic<int> admitted{0};

  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (policy->decide(request("+12125550100", "CAND-1"), kMidnight).admitted()) {
          admitted.fetch_add(1);
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }

  EXPECT_EQ(admitted.load(), kLimit);
  EXPECT_EQ(policy->quota().count(kMidnightDay, QuotaScope::kPhone, "+12125550100"), kLimit);
}

TEST(SendPolicy, UpdateReplacesTheRulesAndKeepsTheCounters) {
  auto policy = make({.candidate_daily_limit = 2});
  ASSERT_NE(policy, nullptr);
  EXPECT_TRUE(policy->decide(request("+12125550100"), kMidnight).admitted());

  ASSERT_TRUE(
      policy->update({.blocked_numbers = {"+12125550101"}, .candidate_daily_limit = 1}).ok());

  EXPECT_EQ(policy->check(request("+12125550101", "CAND-2")).reason, BlockReason::kNumberBlocked);
  EXPECT_EQ(policy->decide(request("+12125550100"), kMidnight).reason,
            BlockReason::kCandidateDailyLimit);
  EXPECT_EQ(policy->config().candidate_daily_limit, 1);
}

TEST(SendPolicy, UpdateForgetsVerdictsOfTheOldRules) {
  auto policy = make({});
  ASSERT_NE(policy, nullptr);
  EXPECT_TRUE(policy->check(request("+18005550100")).admitted());

  ASSERT_TRUE(policy->update({.blocked_patterns = {"1800.*"}}).ok());

  EXPECT_EQ(policy->check(request("+18005550100")).reason, BlockReason::kPatternBlocked);
}

TEST(SendPolicy, FailedUpdateKeepsTheOldRules) {
  auto policy = make({.allowed_countries = {"US"}});
  ASSERT_NE(policy, nullptr);

  auto const status = policy->update({.allowed_countries = {"CA"}, .blocked_patterns = {"[1"}});

  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("blocked_patterns[0]"), std::string::npos);
  EXPECT_EQ(policy->config().allowed_countries, (std::vector<std::string>{"US"}));
  EXPECT_EQ(policy->check(request("+14165550199")).reason, BlockReason::kCountryNotAllowed);
}

TEST(SendPolicy, UpdateWhileDecidingSeesOneRuleSetOrTheOther) {
  auto policy = make({.allowed_countries = {"US"}});
  ASSERT_NE(policy, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<int> odd{0};

  std::vector<std::thread> deciders;
  for (int t = 0; t < 3; ++t) {
    deciders.emplace_back([&, t] {
      while (!stop.load()) {
        auto const decision =
            policy->decide(request("+14165550199", "CAND-" + std::to_string(t)), kMidnight);
        // Either rule set gives one of these two answers, nothing else.
        if (decision.reason != BlockReason::kCountryNotAllowed && !decision.admitted()) {
          odd.fetch_add(1);
        }
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    auto const countries =
        i % 2 == 0 ? std::vector<std::string>{"US", "CA"} : std::vector<std::string>{"US"};
    ASSERT_TRUE(policy->update({.allowed_countries = countries}).ok());
  }
  stop.store(true);
  for (auto& thread : deciders) {
    thread.join();
  }

  EXPECT_EQ(odd.load(), 0);
  EXPECT_EQ(policy->check(request("+14165550199")).reason, BlockReason::kCountryNotAllowed);
}

TEST(SendPolicy, CreateNamesTheBadEntry) {
  auto policy = SendPolicy::create({.allowed_countries = {"US", "XX"}});
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(policy.error().message, "allowed_countries[1]: 'XX' is not a region");
}

}  // namespace
}  // namespace candor::policy
