#include "core/policy/rule_set.hpp"

#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace candor::policy {
namespace {

using domain::BlockReason;

std::shared_ptr<RuleSet const> compile_ok(PolicyConfig config) {
  auto rules = RuleSet::compile(std::move(config));
  EXPECT_TRUE(rules.ok()) << rules.error().message;
  return rules.ok() ? *rules : nullptr;
}

std::string compile_error(PolicyConfig config) {
  auto rules = RuleSet::compile(std::move(config));
  EXPECT_FALSE(rules.ok());
  if (rules.ok()) {
    return {};
  }
  EXPECT_EQ(rules.error().code, Errc::kInvalidArgument);
  return rules.error().message;
}

TEST(RuleSet, NamesTheBadPatternAndRe2sReason) {
  auto const message = compile_error({.blocked_patterns = {"1800.*", "(1900", "1888.*"}});

  EXPECT_NE(message.find("blocked_patterns[1]"), std::string::npos) << message;
  EXPECT_NE(message.find("(1900"), std::string::npos) << message;
  EXPECT_NE(message.find("missing )"), std::string::npos) << message;
}

TEST(RuleSet, CompilesAThousandPatternsTogether) {
  std::vector<std::string> patterns;
  for (int i = 0; i < 1000; ++i) {
    patterns.push_back(fmt::format("1{:03}55501\\d\\d", i));
  }
  auto rules = compile_ok({.blocked_patterns = patterns});
  ASSERT_NE(rules, nullptr);

  EXPECT_EQ(rules->evaluate("+1 416 555 0142").reason, BlockReason::kPatternBlocked);
  EXPECT_EQ(rules->evaluate("+1 416 555 0242").reason, BlockReason::kNone);
}

TEST(RuleSet, MatchesPatternsInFullOverTheDigits) {
  auto rules = compile_ok({.blocked_patterns = {"1800.*", "555"}});
  ASSERT_NE(rules, nullptr);

  EXPECT_EQ(rules->evaluate("+1 800 555 0100").reason, BlockReason::kPatternBlocked);
  // "555" occurs inside the digits but is no full match.
  EXPECT_EQ(rules->evaluate("+1 212 555 0100").reason, BlockReason::kNone);
}

TEST(RuleSet, NormalisesBlockedNumbers) {
  auto rules = compile_ok({.blocked_numbers = {"+1 (800) 555-0100", "212.555.0100"}});
  ASSERT_NE(rules, nullptr);

  EXPECT_EQ(rules->evaluate("+18005550100").reason, BlockReason::kNumberBlocked);
  EXPECT_EQ(rules->evaluate("18005550100").reason, BlockReason::kNumberBlocked);
  EXPECT_EQ(rules->evaluate("+1 212 555 0100").reason, BlockReason::kNumberBlocked);
  EXPECT_EQ(rules->evaluate("+1 212 555 0101").reason, BlockReason::kNone);
}

TEST(RuleSet, NamesTheBadBlockedNumber) {
  auto const message = compile_error({.blocked_numbers = {"+18005550100", "not a number"}});
  EXPECT_NE(message.find("blocked_numbers[1]"), std::string::npos) << message;
  EXPECT_NE(message.find("'not a number'"), std::string::npos) << message;
}

TEST(RuleSet, NamesTheBadRegion) {
  auto const message = compile_error({.allowed_countries = {"US", "XX"}});
  EXPECT_EQ(message, "allowed_countries[1]: 'XX' is not a region");

  EXPECT_NE(compile_error({.allowed_countries = {"USA"}}).find("allowed_countries[0]"),
            std::string::npos);
  EXPECT_NE(compile_error({.default_region = "QQ"}).find("default_region"), std::string::npos);
}

TEST(RuleSet, UpperCasesRegions) {
  auto rules = compile_ok({.allowed_countries = {" ca ", "us"}, .default_region = "gb"});
  ASSERT_NE(rules, nullptr);
  EXPECT_EQ(rules->config().allowed_countries, (std::vector<std::string>{"CA", "US"}));
  EXPECT_EQ(rules->config().default_region, "GB");
}

TEST(RuleSet, RefusesNegativeLimitsAndOffsetsOfADayOrMore) {
  EXPECT_NE(compile_error({.candidate_daily_limit = -1}).find("candidate_daily_limit"),
            std::string::npos);
  EXPECT_NE(compile_error({.application_daily_limit = -1}).find("application_daily_limit"),
            std::string::npos);
  EXPECT_NE(compile_error({.day_start_offset = std::chrono::hours(24)}).find("day_start_offset"),
            std::string::npos);
  EXPECT_NE(compile_error({.day_start_offset = -std::chrono::hours(24)}).find("day_start_offset"),
            std::string::npos);
}

TEST(RuleSet, CachesVerdictsPerRawString) {
  auto rules = compile_ok({.allowed_countries = {"US"}});
  ASSERT_NE(rules, nullptr);

  auto const first = rules->verdict("+1 416 555 0199");
  auto const again = rules->verdict("+1 416 555 0199");

  EXPECT_EQ(first.reason, BlockReason::kCountryNotAllowed);
  EXPECT_EQ(again.reason, BlockReason::kCountryNotAllowed);
  EXPECT_EQ(again.e164, "+14165550199");
  EXPECT_EQ(again.region, "CA");
  EXPECT_EQ(rules->cached(), 1u);
}

TEST(RuleSet, CachesNothingWithZeroCapacity) {
  auto rules = compile_ok({.verdict_cache_capacity = 0});
  ASSERT_NE(rules, nullptr);
  EXPECT_EQ(rules->verdict("+1 212 555 0100").reason, BlockReason::kNone);
  EXPECT_EQ(rules->cached(), 0u);
}

TEST(RuleSet, UnknownRegionPassesOnlyWithoutAnAllowedList) {
  auto open = compile_ok({});
  auto us_only = compile_ok({.allowed_countries = {"US"}});
  ASSERT_NE(open, nullptr);
  ASSERT_NE(us_only, nullptr);

  EXPECT_EQ(open->evaluate("+1 555 555 0100").reason, BlockReason::kNone);
  EXPECT_EQ(us_only->evaluate("+1 555 555 0100").reason, BlockReason::kCountryNotAllowed);
}

}  // namespace
}  // namespace candor::policy
