#include "scenarios/loader.hpp"

#include <filesystem>
#include <fstream>
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "scenarios/time_text.hpp"
#include "tests/support/scratch_dir.hpp"

namespace candor::scenarios {
namespace {

using ::testing::HasSubstr;

constexpr char const* kGood = R"(name: smoke
description: two candidates, one blocked
seed: 7
clock:
  start: 2024-03-01T09:00:00Z
  day_start_offset: -5h
policy:
  allowed_countries: [US, CA]
  blocked_numbers: ["+18005550100"]
  blocked_patterns: ["1888.*"]
  candidate_daily_limit: 3
  application_daily_limit: unlimited
providers:
  sms:
    kind: twilio
    outcomes:
      - {result: delivered, weight: 9}
      - {result: undelivered, weight: 1, error_code: "30003"}
    callback_delays: {sent: 1s, delivered: 5s}
    faults:
      bursts: [{status: 429, start: 2, count: 3}]
      duplicate_callbacks: 0.1
  email:
    kind: smtp
candidates:
  list:
    - {id: 1, first_name: Ada, phone: "+14155550100", email: ada@example.test, tags: [vip]}
    - {id: 2, phone: "+447400123456"}
  generate: {count: 10, first_id: 100, countries: {US: 1}}
steps:
  - send_message:
      channel: sms
      context: {kind: requisition, id: R-1}
      body: "Hi {{FirstName}}"
      candidates: all
  - advance: 90s
  - compose: {channel: email, subject: Hello, body: Hi, candidate: 1}
  - inbound: {from: "+14155550100", body: STOP}
  - set_policy: {candidate_daily_limit: 5}
  - set_faults: {sms: {bursts: [{status: 503, count: 2}]}}
  - restart
  - expect:
      status: {sent: {at_least: 1}, blocked: 1}
      blocked: {country_not_allowed: 1}
      last_contacted: {1: unset}
      messages_tab: {1: ["sms in received", "email out", "sms out delivered"]}
      history: [{candidate: 1, index: 0, shown: [queued, sent, delivered]}]
      nothing_lost: true
      provider_requests: {sms: {at_most: 20}}
)";

LoadResult load(std::string const& text) {
  return load_scenario_text(text, "t.yaml");
}

std::vector<std::string> lines_of(LoadResult const& r) {
  std::vector<std::string> out;
  for (auto const& e : r.errors) {
    out.push_back(e.to_string());
  }
  return out;
}

TEST(LoadScenario, ReadsEverySection) {
  LoadResult r = load(kGood);
  ASSERT_TRUE(r.ok()) << r.error_text();
  Scenario const& s = *r.scenario;
  EXPECT_EQ(s.name, "smoke");
  EXPECT_EQ(s.seed, 7u);
  EXPECT_EQ(format_iso_time(s.clock.start), "2024-03-01T09:00:00Z");
  EXPECT_EQ(s.clock.day_start_offset, std::chrono::hours(-5));
  ASSERT_TRUE(s.policy.allowed_countries.has_value());
  EXPECT_EQ(s.policy.allowed_countries->size(), 2u);
  EXPECT_EQ(s.policy.candidate_daily_limit, std::optional<std::int64_t>(3));
  ASSERT_TRUE(s.policy.application_daily_limit.has_value());
  EXPECT_FALSE(s.policy.application_daily_limit->has_value());
  ASSERT_TRUE(s.providers.sms.has_value());
  EXPECT_EQ(s.providers.sms->outcomes.size(), 2u);
  EXPECT_EQ(s.providers.sms->faults.bursts.at(0).status, 429);
  EXPECT_EQ(s.providers.email->outcomes.at(0).result, "sent");
  EXPECT_EQ(s.candidates.list.size(), 2u);
  EXPECT_EQ(s.candidates.list[1].number, "CAND-000002");
  ASSERT_EQ(s.steps.size(), 8u);
  EXPECT_EQ(step_kind(s.steps[0].body), "send_message");
  EXPECT_EQ(step_kind(s.steps[6].body), "restart");
  EXPECT_EQ(s.steps[1].mark.line, 36);
  auto const& expect = std::get<ExpectStep>(s.steps[7].body);
  EXPECT_TRUE(expect.nothing_lost);
  EXPECT_EQ(expect.messages_tab.at(0).entries.size(), 3u);
}

TEST(LoadScenario, NamesFileLineColumnAndPath) {
  LoadResult r = load(R"(name: x
providers:
  sms: {kind: twilio}
steps:
  - send_message:
      channel: fax
      body: hi
)");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(lines_of(r),
              ::testing::ElementsAre("t.yaml:6:16: steps[0].send_message.channel: expected one "
                                     "of email, sms; got \"fax\""));
}

TEST(LoadScenario, RequisitionAndPoolSendsNameTheirId) {
  LoadResult r = load(R"(name: x
providers:
  sms: {kind: twilio}
candidates: [{id: 1, phone: "+14155550101"}]
steps:
  - send_message: {channel: sms, context: requisition, body: hi, candidates: all}
  - compose: {channel: sms, context: {kind: pool}, body: hi, candidate: 1}
  - compose: {channel: sms, context: {kind: search}, body: hi, candidate: 1}
)");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(lines_of(r),
              ::testing::ElementsAre("t.yaml:6:43: steps[0].send_message.context: a requisition "
                                     "send names its requisition: expected {kind: requisition, "
                                     "id: ...}",
                                     "t.yaml:7:38: steps[1].compose.context: a pool send names "
                                     "its pool: expected {kind: pool, id: ...}"));
}

TEST(LoadScenario, SuggestsTheClosestKnownKey) {
  LoadResult r = load("name: x\nstpes: []\n");
  EXPECT_THAT(r.error_text(),
              HasSubstr("t.yaml:2:1: stpes: unknown key \"stpes\" (did you mean \"steps\"?)"));
  EXPECT_THAT(r.error_text(), HasSubstr("steps: is required but missing"));
}

TEST(LoadScenario, SuggestsStepKinds) {
  LoadResult r = load("name: x\nsteps:\n  - advnce: 1s\n");
  EXPECT_THAT(r.error_text(), HasSubstr("t.yaml:3:5: steps[0].advnce: unknown key \"advnce\" "
                                        "(did you mean \"advance\"?)"));
}

TEST(LoadScenario, CollectsEveryErrorOfAFile) {
  LoadResult r = load(R"(name: x
seed: -1
clock: {start: yesterday, day_start_offset: 30h}
policy: {allowed_countries: [usa], blocked_patterns: ["(1800"], candidate_daily_limit: lots}
steps:
  - advance: 5 minutes
  - expect: {status: {sent: many}}
)");
  auto lines = lines_of(r);
  EXPECT_EQ(lines.size(), 8u) << r.error_text();
  EXPECT_THAT(r.error_text(), HasSubstr("t.yaml:2:7: seed: expected an integer >= 0; got \"-1\""));
  EXPECT_THAT(r.error_text(), HasSubstr("t.yaml:3:16: clock.start: expected an ISO 8601 time"));
  EXPECT_THAT(r.error_text(), HasSubstr("clock.day_start_offset: expected an offset within a day"));
  EXPECT_THAT(r.error_text(), HasSubstr("t.yaml:4:30: policy.allowed_countries[0]: expected a "
                                        "two-letter upper-case region code"));
  EXPECT_THAT(r.error_text(), HasSubstr("policy.blocked_patterns[0]: invalid regular expression"));
  EXPECT_THAT(r.error_text(), HasSubstr("policy.candidate_daily_limit: expected an integer >= 0"));
  EXPECT_THAT(r.error_text(), HasSubstr("t.yaml:6:14: steps[0].advance: expected a duration"));
  EXPECT_THAT(r.error_text(), HasSubstr("steps[1].expect.status.sent: expected an integer"));
}

TEST(LoadScenario, ReportsSyntaxErrorsWithTheirPlace) {
  LoadResult r = load("name: x\nsteps: [advance: 1s\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].mark.file, "t.yaml");
  EXPECT_GT(r.errors[0].mark.line, 0);
  EXPECT_THAT(r.errors[0].message, HasSubstr("invalid YAML"));
}

TEST(LoadScenario, ReportsEmptyFilesAndWrongTopLevel) {
  EXPECT_THAT(load("").error_text(), HasSubstr("t.yaml:1:1: the file is empty"));
  EXPECT_THAT(load("- a\n- b\n").error_text(), HasSubstr("expected a mapping; got a list"));
}

TEST(LoadScenario, ReportsRepeatedKeys) {
  LoadResult r = load("name: x\nname: y\nsteps: []\n");
  EXPECT_THAT(r.error_text(), HasSubstr("t.yaml:2:1: name: appears twice"));
}

TEST(LoadScenario, ChecksCandidateReferencesAndProviders) {
  LoadResult r = load(R"(name: x
candidates: [{id: 1, phone: "+14155550100"}]
steps:
  - send_message: {channel: sms, body: hi, candidates: [1, 9]}
  - compose: {channel: email, body: hi, candidate: 1}
  - send_message: {channel: sms, body: hi, candidates: {tag: nope}}
  - inbound: {from: "+14155550100", body: STOP}
)");
  std::string const text = r.error_text();
  EXPECT_THAT(text, HasSubstr("t.yaml:4:60: steps[0].send_message.candidates[1]: no candidate has "
                              "id 9"));
  EXPECT_THAT(text, HasSubstr("steps[0].send_message.channel: the scenario configures no sms "
                              "provider (add providers.sms)"));
  EXPECT_THAT(text,
              HasSubstr("steps[1].compose.channel: the scenario configures no email provider"));
  EXPECT_THAT(text,
              HasSubstr("steps[2].send_message.candidates.tag: no candidate has tag \"nope\""));
  EXPECT_THAT(text, HasSubstr("steps[3].inbound: inbound SMS needs providers.sms"));
}

TEST(LoadScenario, ChecksOutcomesAgainstTheProviderKind) {
  LoadResult r = load(R"(name: x
providers:
  sms:
    kind: generic
    outcomes: [{result: delivered}]
    callback_delays: {delivered: 1s}
steps: []
)");
  EXPECT_THAT(r.error_text(), HasSubstr("t.yaml:5:25: providers.sms.outcomes[0].result: expected "
                                        "one of sent; got \"delivered\" (the generic provider "
                                        "sends no delivery reports"));
  EXPECT_THAT(r.error_text(), HasSubstr("providers.sms.callback_delays: generic sends no status "
                                        "callbacks"));
}

TEST(LoadScenario, ReadsCsvFilesRelativeToTheScenario) {
  testing_support::ScratchDir const scratch("candor-loader-csv-");
  auto const& dir = scratch.path();
  {
    std::ofstream(dir / "blocked.csv") << "number\n\"+18005550100\"\n\n+18005550101\n";
    std::ofstream(dir / "bad.csv") << "+18005550100\nnot a number!\n";
  }
  std::string const yaml = R"(name: x
policy:
  blocked_numbers: ["+18005550199", {file: blocked.csv, header: number}]
steps: []
)";
  LoadResult r = load_scenario_text(yaml, "t.yaml", dir.string());
  ASSERT_TRUE(r.ok()) << r.error_text();
  EXPECT_THAT(*r.scenario->policy.blocked_numbers,
              ::testing::ElementsAre("+18005550199", "+18005550100", "+18005550101"));

  LoadResult bad = load_scenario_text(
      "name: x\npolicy:\n  blocked_numbers: [{file: bad.csv}, {file: missing.csv}]\nsteps: []\n",
      "t.yaml", dir.string());
  EXPECT_THAT(bad.error_text(),
              HasSubstr("bad.csv:2:1: policy.blocked_numbers[0]: expected a "
                        "phone number such as +14155550100; got \"not a number!\" "
                        "(CSV file named at t.yaml:3:28)"));
  EXPECT_THAT(bad.error_text(), HasSubstr("t.yaml:3:45: policy.blocked_numbers[1].file: cannot "
                                          "read CSV file"));
}

TEST(ClosestKey, FindsNearTyposOnly) {
  std::string const known[] = {"steps", "seed", "candidates"};
  EXPECT_EQ(closest_key("stpes", known), "steps");
  EXPECT_EQ(closest_key("candidate", known), "candidates");
  EXPECT_EQ(closest_key("Seed", known), "seed");
  EXPECT_EQ(closest_key("zzzzzzzz", known), "");
}

/// Feeds mutated and random text to the loader; it must answer every input
/// with a scenario or errors, never a crash or an exception.
TEST(LoadScenario, SurvivesMutatedAndRandomInput) {
  std::mt19937 random(1234);
  std::string const base = kGood;
  std::string const alphabet = ":-[]{}\"'&*!|>#%@ \n\t,?0123456789abcxyz\\";
  for (int round = 0; round < 800; ++round) {
    std::string text = base;
    int const edits = 1 + static_cast<int>(random() % 8);
    for (int e = 0; e < edits; ++e) {
      std::size_t const pos = random() % (text.size() + 1);
      switch (random() % 4) {
        case 0:
          text.insert(pos, 1, alphabet[random() % alphabet.size()]);
          break;
        case 1:
          if (pos < text.size())
            text.erase(pos, 1 + random() % 6);
          break;
        case 2:
          if (pos < text.size())
            text[pos] = alphabet[random() % alphabet.size()];
          break;
        default: {
          // Duplicate a slice elsewhere, which produces odd but plausible YAML.
          std::size_t const from = random() % text.size();
          text.insert(pos, text.substr(from, random() % 40));
        }
      }
    }
    LoadResult r = load(text);
    EXPECT_TRUE(r.ok() || !r.errors.empty());
  }

  for (int round = 0; round < 300; ++round) {
    std::string text;
    std::size_t const size = random() % 200;
    for (std::size_t i = 0; i < size; ++i) {
      text += alphabet[random() % alphabet.size()];
    }
    LoadResult r = load(text);
    EXPECT_TRUE(r.ok() || !r.errors.empty());
  }
}

TEST(LoadScenario, RefusesDeepNestingWithoutCrashing) {
  std::string text = "name: " + std::string(100000, '[') + std::string(100000, ']');
  LoadResult r = load(text);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error_text(), HasSubstr("nesting deeper"));
}

}  // namespace
}  // namespace candor::scenarios
