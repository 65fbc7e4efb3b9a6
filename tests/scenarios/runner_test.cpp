#include "scenarios/runner.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <sstream>
#include <vector>

#include <fmt/format.h>

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
    outcomes:
      - {result: delivered, weight: 3}
      - {result: undelivered, weight: 1, error_code: "30003"}
    faults:
      duplicate_callbacks: 0.3
      reorder_callbacks: 0.3
      bursts: [{status: 503, start: 3, count: 4}, {status: 429, start: 12, count: 3}]
      reset_requests: [9]
candidates:
  generate: {count: 25, countries: {US: 3, GB: 1}, opted_out: 0.1}
steps:
  - send_message:
      channel: sms
      context: {kind: requisition, id: R-1}
      body: "Hi {{FirstName}}"
      candidates: all
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

/// Raw statuses and error codes of one message's history, "raw/code".
std::vector<std::string> history_of(reports::ScenarioReport const& report, std::string const& id) {
  std::vector<std::string> out;
  for (auto const& t : report.timelines) {
    if (t.message_id != id) {
      continue;
    }
    for (auto const& e : t.events) {
      out.push_back(e.error_code.empty() ? e.raw_status : e.raw_status + "/" + e.error_code);
    }
  }
  return out;
}

std::string failures_of(reports::ScenarioReport const& report) {
  std::string out = report.error;
  for (auto const& e : report.expectations) {
    if (!e.passed) {
      out +=
          fmt::format("\n{}: expected {}, actual {} ({})", e.label, e.expected, e.actual, e.detail);
    }
  }
  return out;
}

TEST(RunScenario, SetPolicyTakesEffectMidRun) {
  Scenario const scenario = load(R"(name: policy mid-run
policy: {allowed_countries: [US], candidate_daily_limit: 1}
providers: {sms: {kind: generic}}
candidates:
  - {id: 1, phone: "+14155550101"}
  - {id: 2, phone: "+447400123456"}
steps:
  - send_message: {channel: sms, body: "a", candidates: [1, 2]}
  - compose: {channel: sms, body: "b", candidate: 1}
  - expect: {blocked: {country_not_allowed: 1, candidate_daily_limit: 1}, status: {sent: 1}}
  - set_policy:
      allowed_countries: [US, GB]
      candidate_daily_limit: 3
      blocked_numbers: ["+14155550101"]
  - send_message: {channel: sms, body: "c", candidates: [1, 2]}
  - expect:
      status: {sent: 2, blocked: 3}
      blocked: {country_not_allowed: 1, candidate_daily_limit: 1, number_blocked: 1}
)");
  reports::ScenarioReport const report = run_scenario(scenario);
  EXPECT_TRUE(report.passed) << failures_of(report);
}

TEST(RunScenario, SetFaultsStartsAndEndsAnOutage) {
  Scenario const scenario = load(R"(name: outage mid-run
providers: {sms: {kind: twilio}}
candidates:
  - {id: 1, phone: "+14155550101"}
  - {id: 2, phone: "+14155550102"}
  - {id: 3, phone: "+14155550103"}
steps:
  - compose: {channel: sms, body: "before", candidate: 1}
  - set_faults: {sms: {bursts: [{status: 503, count: 1000}]}}
  - compose: {channel: sms, body: "during", candidate: 2}
  - advance: 1s
  - expect: {status: {queued: 1, delivered: 0}, provider_requests: {sms: {at_least: 2}}}
  - set_faults: {sms: {}}
  - compose: {channel: sms, body: "after", candidate: 3}
  - advance: 10m
  - expect: {status: {queued: 0, delivered: 3}}
)");
  reports::ScenarioReport const report = run_scenario(scenario);
  EXPECT_TRUE(report.passed) << failures_of(report);
}

TEST(RunScenario, BurstsHitTheirRequestsWithTheProvidersOwnErrors) {
  Scenario const scenario = load(R"(name: bursts
providers: {sms: {kind: twilio}}
candidates:
  - {id: 1, phone: "+14155550101"}
  - {id: 2, phone: "+14155550102"}
steps:
  - set_faults:
      sms:
        bursts: [{status: 503, start: 2, count: 1}, {status: 502, start: 4, count: 1}]
        reset_requests: [3]
  - compose: {channel: sms, body: "one", candidate: 1}
  - compose: {channel: sms, body: "two", candidate: 2}
  - advance: 5m
  - expect: {status: {delivered: 2}, provider_requests: {sms: 5}}
)");
  reports::ScenarioReport const report = run_scenario(scenario);
  ASSERT_TRUE(report.passed) << failures_of(report);

  // Request 1 sends message 1; message 2 meets the 503 (Twilio code 20503, not
  // 20500), then the reset of request 3 after it was written (the provider may
  // have taken it, so the resend is a new recorded attempt), then the 502 of a
  // gateway (no Twilio body), then passes: five requests in all.
  auto const history = history_of(report, "2");
  std::vector<std::string> transient;
  for (auto const& h : history) {
    if (h.rfind("provider:transient", 0) == 0) {
      transient.push_back(h);
    }
  }
  EXPECT_THAT(transient,
              ::testing::ElementsAre("provider:transient/20503", "provider:transient/connection",
                                     "provider:transient/http_502"))
      << ::testing::PrintToString(history);
}

TEST(RunScenario, AMillionRequestBurstIsQueuedNotExpanded) {
  Scenario const scenario = load(R"(name: long outage
providers: {sms: {kind: generic, faults: {bursts: [{status: 500, count: 1000000}]}}}
candidates: [{id: 1, phone: "+14155550101"}]
steps:
  - compose: {channel: sms, body: "hi", candidate: 1}
  - advance: 1h
  - expect: {status: {failed: 1}, provider_requests: {sms: 5}}
)");
  // Scripted request by request, a million faults took hundreds of megabytes.
  auto peak_kib = [] {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
  };
  auto const before = peak_kib();
  reports::ScenarioReport const report = run_scenario(scenario);
  EXPECT_TRUE(report.passed) << failures_of(report);
  EXPECT_LT(peak_kib() - before, 64 * 1024) << "KiB of new peak memory";
}

TEST(RunScenario, EmailBurstsAndDroppedSessionsTakeEffect) {
  Scenario const scenario = load(R"(name: smtp faults
providers:
  email: {kind: smtp, faults: {bursts: [{status: 451, count: 2}]}}
candidates: [{id: 1, email: a@example.test}, {id: 2, email: b@example.test}]
steps:
  - compose: {channel: email, subject: s, body: "one", candidate: 1}
  - advance: 5m
  - set_faults: {email: {reset_requests: [1]}}
  - compose: {channel: email, subject: s, body: "two", candidate: 2}
  - advance: 5m
  - expect: {status: {sent: 2}, provider_requests: {email: 5}}
)");
  reports::ScenarioReport const report = run_scenario(scenario);
  EXPECT_TRUE(report.passed) << failures_of(report);
  EXPECT_EQ(history_of(report, "1").size(), 7u)
      << ::testing::PrintToString(history_of(report, "1"));
}

TEST(RunScenario, SmtpRejectionsCarryTheConfiguredCode) {
  Scenario const scenario = load(R"(name: smtp reject
providers:
  email: {kind: smtp, outcomes: [{result: rejected, error_code: "553"}]}
candidates: [{id: 1, email: a@example.test}]
steps:
  - compose: {channel: email, subject: s, body: "one", candidate: 1}
  - advance: 1m
  - expect: {status: {failed: 1}}
)");
  reports::ScenarioReport const report = run_scenario(scenario);
  ASSERT_TRUE(report.passed) << failures_of(report);
  EXPECT_THAT(::testing::PrintToString(history_of(report, "1")), HasSubstr("553"));
}

TEST(RunScenario, SyniverseFailuresUseTheConfiguredCodes) {
  Scenario const scenario = load(R"(name: syniverse codes
providers:
  sms:
    kind: syniverse
    outcomes: [{result: failed, error_code: "1002"}]
candidates: [{id: 1, phone: "+14155550101"}]
steps:
  - compose: {channel: sms, body: "one", candidate: 1}
  - advance: 1m
  - expect: {status: {failed: 1}}
)");
  reports::ScenarioReport const report = run_scenario(scenario);
  ASSERT_TRUE(report.passed) << failures_of(report);
  EXPECT_THAT(::testing::PrintToString(history_of(report, "1")), HasSubstr("1002"));
}

TEST(RunScenario, ContentRefusedAtRunTimeIsUnusableInputNamingTheStep) {
  // The loader refuses both; a scenario built in code reaches the runner's net.
  Scenario scenario = load(R"(name: net
candidates: [{id: 1, phone: "+14155550101"}]
steps:
  - advance: 1m
  - set_policy: {candidate_daily_limit: 1}
)");
  std::get<SetPolicyStep>(scenario.steps[1].body).policy.allowed_countries =
      std::vector<std::string>{"XX"};
  reports::ScenarioReport report = run_scenario(scenario);
  EXPECT_FALSE(report.passed);
  EXPECT_EQ(report.error_kind, reports::kInputError);
  EXPECT_THAT(report.error,
              HasSubstr("steps[1].set_policy: the send policy refuses the new rules"));

  std::get<AdvanceStep>(scenario.steps[0].body) =
      AdvanceStep{.by = std::nullopt, .until = scenario.clock.start};
  report = run_scenario(scenario);
  EXPECT_EQ(report.error_kind, reports::kInputError);
  EXPECT_THAT(report.error, HasSubstr("steps[0].advance: "));
  EXPECT_THAT(report.error, HasSubstr("is not after the virtual time at this step"));
}

TEST(RunScenario, ExpectationsCarryTheirStepLabel) {
  Scenario const scenario = load(R"(name: labels
providers: {sms: {kind: generic}}
candidates: [{id: 1, phone: "+14155550101"}]
steps:
  - compose: {channel: sms, body: "hi", candidate: 1}
  - label: after the send
    expect: {status: {sent: 1}}
  - expect: {total: 1}
)");
  reports::ScenarioReport const report = run_scenario(scenario);
  ASSERT_EQ(report.expectations.size(), 2u);
  EXPECT_EQ(report.expectations[0].step_label, "after the send");
  EXPECT_EQ(report.expectations[1].step_label, "");
}

TEST(RunScenario, VirtualThroughputSpansTheMessagesActivity) {
  // Retries spread the sends over virtual time; the rate covers that time, not
  // the hour the scenario waits afterwards.
  Scenario const scenario = load(R"(name: rate
seed: 3
providers: {sms: {kind: generic, faults: {bursts: [{status: 503, count: 10}]}}}
candidates:
  generate: {count: 10, countries: {US: 1}}
steps:
  - send_message: {channel: sms, body: "hi", candidates: all}
  - advance: 1h
  - expect: {status: {sent: 10}, throughput: {min_per_virtual_second: 0.01}}
)");
  reports::ScenarioReport const report = run_scenario(scenario);
  ASSERT_TRUE(report.passed) << failures_of(report);
  auto const& t = report.throughput;
  ASSERT_TRUE(t.first_admitted_ms && t.last_sent_ms);
  std::int64_t const window = *t.last_sent_ms - *t.first_admitted_ms;
  EXPECT_GT(window, 0);
  EXPECT_LT(window, 600'000);
  EXPECT_EQ(reports::virtual_rates(t).sent, reports::rate_over(10, window));
}

TEST(RunScenario, AVirtualFloorWithNoVirtualTimeFailsAndSaysWhy) {
  Scenario const scenario = load(R"(name: instant
providers: {sms: {kind: generic}}
candidates: [{id: 1, phone: "+14155550101"}, {id: 2, phone: "+14155550102"}]
steps:
  - send_message: {channel: sms, body: "hi", candidates: all}
  - advance: 1m
  - expect: {throughput: {min_per_virtual_second: 1}}
)");
  reports::ScenarioReport const report = run_scenario(scenario);
  ASSERT_EQ(report.expectations.size(), 1u);
  EXPECT_FALSE(report.expectations[0].passed);
  EXPECT_EQ(report.expectations[0].actual,
            "no virtual time elapsed (2 sent at the instant of the first admission)");
}

TEST(RunScenario, ReportsProgressWhileALongStepRuns) {
  Scenario const scenario = load(R"(name: progress
providers: {sms: {kind: generic}}
candidates:
  generate: {count: 300, countries: {US: 1}}
steps:
  - send_message: {channel: sms, body: "hi", candidates: all}
  - expect: {status: {sent: 300}}
)");
  std::mutex mutex;
  std::vector<StepProgress> seen;
  RunOptions options;
  options.progress_interval = std::chrono::milliseconds(1);
  options.on_progress = [&](StepProgress const& p) {
    std::lock_guard lock(mutex);
    seen.push_back(p);
  };
  reports::ScenarioReport const report = run_scenario(scenario, options);
  ASSERT_TRUE(report.passed) << failures_of(report);

  std::lock_guard lock(mutex);
  auto const during_send = std::count_if(seen.begin(), seen.end(), [](StepProgress const& p) {
    return p.index == 0 && p.elapsed.count() > 0;
  });
  EXPECT_GE(during_send, 2) << "one update per step only";
  EXPECT_EQ(seen.front().count, 2u);
  EXPECT_EQ(seen.front().label, "steps[0].send_message");
  EXPECT_TRUE(std::any_of(seen.begin(), seen.end(),
                          [](StepProgress const& p) { return p.provider_requests > 0; }));

  // The same report with or without progress.
  EXPECT_EQ(json_of(report), json_of(run_scenario(scenario)));
}

}  // namespace
}  // namespace candor::scenarios
