#include "scenarios/runner.hpp"

#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "reports/json_writer.hpp"
#include "scenarios/loader.hpp"

namespace candor::scenarios {
namespace {

using ::testing::HasSubstr;

constexpr char const* kScenario = R"(name: determinism
seed: 5
policy: {allowed_countries: [US], candidate_daily_limit: 2}
providers:
  sms:
    kind: twilio
    outcomes: [{result: delivered, weight: 3}, {result: undelivered, weight: 1, error_code: "30003"}]
    faults:
      duplicate_callbacks: 0.3
      reorder_callbacks: 0.3
      bursts: [{status: 503, start: 3, count: 4}, {status: 429, start: 12, count: 3}]
      reset_requests: [9]
candidates:
  generate: {count: 25, countries: {US: 3, GB: 1}, opted_out: 0.1}
steps:
  - send_message: {channel: sms, context: {kind: requisition, id: R-1}, body: "Hi {{FirstName}}", candidates: all}
  - advance: 2h
  - expect: {nothing_lost: true, status: {queued: 0}}
)";

Scenario load(std::string const& text) {
  LoadResult loaded = load_scenario_text(text, "inline.yaml");
  EXPECT_TRUE(loaded.ok()) << loaded.error_text();
  return *loaded.scenario;
}

std::string json_of(reports::ScenarioReport report) {
  reports::RunReport run;
  run.scenarios.push_back(std::move(report));
  reports::strip_timing(run);
  std::ostringstream out;
  reports::write_json(out, run);
  return out.str();
}

TEST(RunScenario, SameFileAndSeedGiveTheSameReport) {
  Scenario const scenario = load(kScenario);
  reports::ScenarioReport first = run_scenario(scenario);
  reports::ScenarioReport second = run_scenario(scenario);
  EXPECT_TRUE(first.passed) << first.error;
  EXPECT_EQ(first.timelines.size(), 25u);
  EXPECT_EQ(json_of(first), json_of(second));
}

TEST(RunScenario, AnotherSeedChangesTheOutcomes) {
  Scenario const scenario = load(kScenario);
  reports::ScenarioReport first = run_scenario(scenario);
  reports::ScenarioReport other = run_scenario(scenario, {.seed = 99});
  EXPECT_EQ(other.seed, 99u);
  EXPECT_NE(json_of(first), json_of(other));
}

TEST(RunScenario, FailedExpectationsNameTheirPlace) {
  Scenario const scenario = load(R"(name: failing
providers: {sms: {kind: generic}}
candidates: [{id: 1, phone: "+14155550101"}]
steps:
  - compose: {channel: sms, body: "Hi", candidate: 1}
  - expect: {status: {delivered: 1}}
)");
  reports::ScenarioReport report = run_scenario(scenario);
  EXPECT_FALSE(report.passed);
  ASSERT_EQ(report.expectations.size(), 1u);
  EXPECT_EQ(report.expectations[0].label, "status.delivered");
  EXPECT_EQ(report.expectations[0].expected, "1");
  EXPECT_EQ(report.expectations[0].actual, "0");
  EXPECT_THAT(report.expectations[0].detail, HasSubstr("inline.yaml:6:5"));
}

TEST(RunScenario, PinsTheLatencyLimitation) {
  // Limitation pinned: API latency faults are refused with a clear error.
  Scenario const scenario = load(R"(name: latency
providers: {sms: {kind: twilio, faults: {latency: 1s}}}
steps: []
)");
  reports::ScenarioReport report = run_scenario(scenario);
  EXPECT_FALSE(report.passed);
  EXPECT_THAT(report.error, HasSubstr("faults.latency"));
}

}  // namespace
}  // namespace candor::scenarios
