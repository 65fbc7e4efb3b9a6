// What the loader refuses so that `candor validate` catches it: values the
// core's policy or the fake providers would refuse or ignore at run time.

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "scenarios/loader.hpp"
#include "tests/support/scratch_dir.hpp"

namespace candor::scenarios {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

LoadResult load(std::string const& text) {
  return load_scenario_text(text, "t.yaml");
}

/// `steps` after a header that configures a Twilio SMS provider, an SMTP e-mail
/// provider and one candidate.
std::string with_twilio(std::string const& rest) {
  return "name: x\n"
         "providers: {sms: {kind: twilio}, email: {kind: smtp}}\n"
         "candidates: [{id: 1, phone: \"+14155550100\", email: a@example.test}]\n" +
         rest;
}

// Item: values the core's policy refuses ------------------------------------

TEST(LoaderChecks, RegionsMustBeKnownToThePolicy) {
  LoadResult r = load(
      "name: x\npolicy: {allowed_countries: [US, XX], default_region: QQ}\n"
      "steps: []\n");
  EXPECT_THAT(r.error_text(), HasSubstr("t.yaml:2:34: policy.allowed_countries[1]: \"XX\" is not a "
                                        "region code (ISO 3166-1 alpha-2, such as US or GB)"));
  EXPECT_THAT(r.error_text(), HasSubstr("t.yaml:2:55: policy.default_region: \"QQ\" is not a "
                                        "region code"));
}

TEST(LoaderChecks, BlockedNumbersMustBePossibleNumbersOfTheirCountry) {
  LoadResult r = load(R"(name: x
steps:
  - set_policy:
      blocked_numbers: ["+14155550100", "+1415555"]
)");
  ASSERT_EQ(r.errors.size(), 1u) << r.error_text();
  EXPECT_EQ(r.errors[0].mark.line, 4);
  EXPECT_EQ(r.errors[0].mark.column, 41);
  EXPECT_EQ(r.errors[0].path, "steps[0].set_policy.blocked_numbers[1]");
  EXPECT_THAT(r.errors[0].message, HasSubstr("phone '+1415555'"));
  EXPECT_THAT(r.errors[0].message, HasSubstr("(read with default_region US)"));
}

TEST(LoaderChecks, ANewDefaultRegionMustStillReadEarlierNationalNumbers) {
  // 2125550100 is a US number written nationally; Hong Kong numbers have 8 digits.
  LoadResult r = load(R"(name: x
policy: {blocked_numbers: ["2125550100"]}
steps:
  - set_policy: {default_region: HK}
)");
  ASSERT_EQ(r.errors.size(), 1u) << r.error_text();
  EXPECT_EQ(r.errors[0].mark.to_string(), "t.yaml:4:34");
  EXPECT_EQ(r.errors[0].path, "steps[0].set_policy.default_region");
  EXPECT_THAT(r.errors[0].message,
              HasSubstr("with default_region HK, the blocked number \"2125550100\" given at "
                        "t.yaml:2:28 cannot be read"));
}

TEST(LoaderChecks, PolicyStagesFollowStepOrderWhateverTheKeyOrder) {
  // The top-level policy is written after the steps but applies first.
  LoadResult r = load(R"(name: x
steps:
  - set_policy: {blocked_numbers: ["2125550100"]}
policy: {default_region: US}
)");
  EXPECT_TRUE(r.ok()) << r.error_text();
}

// Item: configured fake behaviour that would be ignored or changed -----------

TEST(LoaderChecks, OutcomesAreThoseTheProvidersFakeCanProduce) {
  LoadResult r = load(R"(name: x
providers:
  sms:
    kind: syniverse
    outcomes: [{result: sent}, {result: rejected}, {result: delivered}]
steps: []
)");
  EXPECT_THAT(r.error_text(),
              HasSubstr("t.yaml:5:25: providers.sms.outcomes[0].result: expected one of "
                        "delivered, failed, expired; got \"sent\" (the syniverse fake always "
                        "reports a final state"));
  EXPECT_THAT(r.error_text(),
              HasSubstr("providers.sms.outcomes[1].result: expected one of delivered, failed, "
                        "expired; got \"rejected\" (the syniverse fake accepts every well-formed "
                        "send; script refusals with faults.bursts)"));

  LoadResult generic = load(
      "name: x\nproviders: {sms: {kind: generic, outcomes: [{result: rejected}]}}\n"
      "steps: []\n");
  EXPECT_THAT(generic.error_text(),
              HasSubstr("providers.sms.outcomes[0].result: expected one of sent; got "
                        "\"rejected\" (the generic fake accepts every well-formed send"));
}

TEST(LoaderChecks, ErrorCodesAreNumbersOnOutcomesThatCarryThem) {
  LoadResult r = load(R"(name: x
providers:
  sms:
    kind: twilio
    outcomes:
      - {result: undelivered, error_code: abc}
      - {result: delivered, error_code: "30003"}
  email:
    kind: smtp
    outcomes: [{result: rejected, error_code: "421"}, {result: sent}]
steps: []
)");
  EXPECT_THAT(r.error_text(),
              HasSubstr("t.yaml:6:43: providers.sms.outcomes[0].error_code: expected a Twilio "
                        "error code, a number such as 30003; got \"abc\""));
  EXPECT_THAT(r.error_text(),
              HasSubstr("providers.sms.outcomes[1].error_code: a twilio delivered outcome "
                        "carries no error code; only undelivered and failed do"));
  EXPECT_THAT(r.error_text(),
              HasSubstr("providers.email.outcomes[0].error_code: expected a permanent SMTP reply "
                        "code from 500 to 599"));

  LoadResult syniverse = load(
      "name: x\nproviders: {sms: {kind: syniverse, outcomes: [{result: failed, error_code: "
      "\"0\"}]}}\nsteps: []\n");
  EXPECT_THAT(syniverse.error_text(),
              HasSubstr("providers.sms.outcomes[0].error_code: expected a Syniverse reason code, a "
                        "number such as 1009; got \"0\""));
}

TEST(LoaderChecks, SyniverseCodesNeedEqualWeightsAcrossFailedOutcomes) {
  LoadResult r = load(R"(name: x
providers:
  sms:
    kind: syniverse
    outcomes:
      - {result: failed, weight: 3, error_code: "1009"}
      - {result: failed, weight: 1, error_code: "1002"}
steps: []
)");
  EXPECT_THAT(r.error_text(), HasSubstr("t.yaml:7:9: providers.sms.outcomes: the syniverse fake "
                                        "picks the reason of a failed message evenly"));

  LoadResult even = load(R"(name: x
providers:
  sms:
    kind: syniverse
    outcomes:
      - {result: failed, weight: 2, error_code: "1009"}
      - {result: failed, weight: 2, error_code: "1002"}
      - {result: expired}
steps: []
)");
  EXPECT_TRUE(even.ok()) << even.error_text();
}

TEST(LoaderChecks, CallbackDelaysSharingOneStageMustAgree) {
  LoadResult r = load(R"(name: x
providers:
  sms: {kind: twilio, callback_delays: {sent: 1s, failed: 5s, delivered: 3s, undelivered: 3s}}
steps: []
)");
  ASSERT_EQ(r.errors.size(), 1u) << r.error_text();
  EXPECT_THAT(r.error_text(),
              HasSubstr("t.yaml:3:59: providers.sms.callback_delays.failed: sent and failed share "
                        "one delay in the twilio fake"));
}

// Item: faults the fakes cannot honour ----------------------------------------

TEST(LoaderChecks, PinsTheApiLatencyLimitation) {
  // Limitation pinned: API latency is refused for SMS and e-mail alike.
  LoadResult r = load(with_twilio(R"(steps:
  - set_faults: {sms: {latency: 1s}, email: {latency: 2s}}
)"));
  EXPECT_THAT(r.error_text(), HasSubstr("t.yaml:5:33: steps[0].set_faults.sms.latency: API latency "
                                        "is not supported on the virtual clock"));
  EXPECT_THAT(r.error_text(), HasSubstr("steps[0].set_faults.email.latency: API latency"));
}

TEST(LoaderChecks, BurstsAreBoundedAndDoNotOverlap) {
  LoadResult r = load(with_twilio(R"(steps:
  - set_faults:
      sms:
        bursts:
          - {status: 503, start: 1, count: 30000000}
          - {status: 503, start: 10, count: 5}
          - {status: 429, start: 12, count: 2}
)"));
  EXPECT_THAT(r.error_text(),
              HasSubstr("t.yaml:8:44: steps[0].set_faults.sms.bursts[0].count: expected an "
                        "integer from 1 to 1000000; got \"30000000\""));
  EXPECT_THAT(r.error_text(),
              HasSubstr("t.yaml:10:13: steps[0].set_faults.sms.bursts[2]: overlaps the burst at "
                        "t.yaml:9:13 (requests 10 to 14); bursts may not overlap"));

  std::string many = "steps:\n  - set_faults:\n      sms:\n        bursts:\n";
  for (int i = 0; i < 3; ++i) {
    many += "          - {status: 500, start: " + std::to_string(1 + i * 500'000) +
            ", count: 500000}\n";
  }
  EXPECT_THAT(load(with_twilio(many)).error_text(),
              HasSubstr("steps[0].set_faults.sms.bursts: the bursts cover 1500000 requests "
                        "together; at most 1000000"));
}

TEST(LoaderChecks, CallbackFaultsOnlyWhereTheFakeHonoursThem) {
  LoadResult generic = load(R"(name: x
providers: {sms: {kind: generic, faults: {drop_callbacks: 0.5}}}
steps: []
)");
  EXPECT_THAT(generic.error_text(),
              HasSubstr("t.yaml:2:59: providers.sms.faults.drop_callbacks: the generic fake "
                        "sends no status callbacks"));

  LoadResult syniverse = load(R"(name: x
providers: {sms: {kind: syniverse, faults: {duplicate_callbacks: 0.2}}}
steps:
  - set_faults: {sms: {reorder_callbacks: 0.5}}
)");
  ASSERT_EQ(syniverse.errors.size(), 1u) << syniverse.error_text();
  EXPECT_THAT(syniverse.error_text(),
              HasSubstr("steps[0].set_faults.sms.reorder_callbacks: the syniverse fake fixes its "
                        "callback faults when it starts; set reorder_callbacks in "
                        "providers.sms.faults"));
}

TEST(LoaderChecks, EmailFaultsAreWhatTheSmtpFakeCanDo) {
  LoadResult r = load(with_twilio(R"(steps:
  - set_faults:
      email:
        bursts: [{status: 503}, {status: 451, start: 3}]
        reset_requests: [2, 3]
        drop_callbacks: 0.1
)"));
  std::string const text = r.error_text();
  EXPECT_THAT(text, HasSubstr("steps[0].set_faults.email.bursts[0].status: expected one of 421, "
                              "451; got \"503\" (SMTP bursts answer a temporary SMTP reply code)"));
  EXPECT_THAT(text, HasSubstr("steps[0].set_faults.email.bursts: lists 2 bursts; the SMTP fake "
                              "fails the next sessions with one code, so give one burst"));
  EXPECT_THAT(text, HasSubstr("steps[0].set_faults.email.bursts[1].start: the SMTP fake fails the "
                              "next sessions only; start must be 1"));
  EXPECT_THAT(text, HasSubstr("steps[0].set_faults.email.reset_requests: the SMTP fake drops the "
                              "next sessions only; list sessions 1, 2, ... n"));
  EXPECT_THAT(text, HasSubstr("steps[0].set_faults.email.drop_callbacks: the smtp fake sends no "
                              "status callbacks"));

  LoadResult good = load(with_twilio(R"(steps:
  - set_faults: {email: {bursts: [{status: 451, count: 2}]}}
  - set_faults: {email: {reset_requests: [1, 2, 3]}}
)"));
  EXPECT_TRUE(good.ok()) << good.error_text();
}

// Item: repeated keys in free-key mappings -------------------------------------

TEST(LoaderChecks, RepeatedKeysAreErrorsNamingBothPlaces) {
  LoadResult r = load(R"(name: x
providers: {sms: {kind: twilio, callback_delays: {sent: 1s, sent: 2s}}}
candidates:
  list: [{id: 1, phone: "+14155550100"}]
  generate: {count: 1, first_id: 5, countries: {US: 1, US: 2}}
steps:
  - label: a
    label: b
    compose: {channel: sms, body: hi, candidate: 1, variables: {Job: x, Job: y}}
  - expect:
      status: {sent: 1, SENT: 1}
      blocked: {opted_out: 1, opted_out: 2}
      last_contacted: {1: set, 01: unset}
      messages_tab: {1: [sms], 1: [email]}
)");
  std::string const text = r.error_text();
  EXPECT_THAT(text, HasSubstr("t.yaml:2:61: providers.sms.callback_delays.sent: appears twice in "
                              "the same mapping (first at t.yaml:2:51)"));
  EXPECT_THAT(text, HasSubstr("candidates.generate.countries.US: appears twice in the same "
                              "mapping (first at t.yaml:5:49)"));
  EXPECT_THAT(text, HasSubstr("t.yaml:8:5: steps[0].label: appears twice in the same mapping "
                              "(first at t.yaml:7:5)"));
  EXPECT_THAT(text, HasSubstr("steps[0].compose.variables.Job: appears twice"));
  EXPECT_THAT(text, HasSubstr("steps[1].expect.status.SENT: appears twice in the same mapping "
                              "(first at t.yaml:11:16)"));
  EXPECT_THAT(text, HasSubstr("steps[1].expect.blocked.opted_out: appears twice"));
  EXPECT_THAT(text, HasSubstr("steps[1].expect.last_contacted.01: appears twice in the same "
                              "mapping (first at t.yaml:13:24)"));
  EXPECT_THAT(text, HasSubstr("steps[1].expect.messages_tab.1: appears twice"));
  EXPECT_EQ(r.errors.size(), 8u) << text;
}

TEST(LoaderChecks, FreeKeyMappingsNameWhatTheirKeysMayBe) {
  LoadResult r = load(R"(name: x
providers: {sms: {kind: twilio, callback_delays: {sending: 1s}}}
candidates:
  list: [{id: 1, phone: "+14155550100"}]
steps:
  - expect:
      status: {dlivered: 1}
      blocked: [opted_out]
      last_contacted: {0: set}
      messages_tab: 3
)");
  std::string const text = r.error_text();
  EXPECT_THAT(text, HasSubstr("t.yaml:2:51: providers.sms.callback_delays.sending: expected one "
                              "of queued, sent, failed, delivered, undelivered; got \"sending\""));
  EXPECT_THAT(text, HasSubstr("t.yaml:7:16: steps[0].expect.status.dlivered: expected one of "
                              "queued, sent, delivered, failed, received, blocked; got "
                              "\"dlivered\" (did you mean \"delivered\"?)"));
  EXPECT_THAT(text, HasSubstr("t.yaml:8:16: steps[0].expect.blocked: expected a mapping of block "
                              "reason to count; got a list"));
  EXPECT_THAT(text, HasSubstr("t.yaml:9:24: steps[0].expect.last_contacted.0: expected an "
                              "integer >= 1; got \"0\""));
  EXPECT_THAT(text, HasSubstr("t.yaml:10:21: steps[0].expect.messages_tab: expected a mapping of "
                              "candidate id to entries; got \"3\""));
  EXPECT_EQ(r.errors.size(), 5u) << text;
}

// Item: time ---------------------------------------------------------------------

TEST(LoaderChecks, AdvanceUntilMustBeAhead) {
  LoadResult r = load(R"(name: x
clock: {start: 2024-03-01T09:00:00Z}
steps:
  - advance: 1h
  - advance: {until: 2024-03-01T09:30:00Z}
)");
  ASSERT_EQ(r.errors.size(), 1u) << r.error_text();
  EXPECT_EQ(r.errors[0].to_string(),
            "t.yaml:5:22: steps[1].advance.until: 2024-03-01T09:30:00Z is not after the virtual "
            "time at this step (2024-03-01T10:00:00Z); the clock never moves back");
}

TEST(LoaderChecks, TooLargeDurationsSayTheMaximum) {
  for (char const* text : {"5000d", "99999999999999999999s", "9999999999999d"}) {
    LoadResult r = load(std::string("name: x\nsteps:\n  - advance: ") + text + "\n");
    EXPECT_THAT(r.error_text(), HasSubstr("steps[0].advance: duration \"" + std::string(text) +
                                          "\" is too large; at most 3650d (3650 days)"))
        << text;
  }
  LoadResult total = load("name: x\nsteps:\n  - advance: 3000d\n  - advance: 3000d\n");
  EXPECT_THAT(total.error_text(),
              HasSubstr("t.yaml:4:5: steps[1].advance: the scenario would run longer than 3650d "
                        "of virtual time"));
}

TEST(LoaderChecks, InboundNumbersAreE164) {
  LoadResult r = load(with_twilio("steps:\n  - inbound: {from: \"415 555 0100\", body: STOP}\n"));
  EXPECT_THAT(r.error_text(), HasSubstr("steps[0].inbound.from: expected a number in E.164"));
}

// Item: CSV files ---------------------------------------------------------------

class LoaderCsv : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = scratch_.path(); }
  void write(std::string const& name, std::string const& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  LoadResult load_here(std::string const& text) {
    return load_scenario_text(text, "t.yaml", dir_.string());
  }
  std::string at(std::string const& name) const { return (dir_ / name).string(); }

  testing_support::ScratchDir scratch_{"candor-loader-csv-"};
  std::filesystem::path dir_;
};

TEST_F(LoaderCsv, HeaderPicksTheColumnByNameIgnoringCase) {
  write("export.csv",
        "Name,Phone,Note\n"
        "Ada,+18005550100,\"likes, commas\"\n"
        "\"Ben \"\"B\"\"\",  +18005550101 ,\n");
  LoadResult r = load_here(
      "name: x\npolicy: {blocked_numbers: [{file: export.csv, header: PHONE}]}\nsteps: []\n");
  ASSERT_TRUE(r.ok()) << r.error_text();
  EXPECT_THAT(*r.scenario->policy.blocked_numbers,
              ::testing::ElementsAre("+18005550100", "+18005550101"));
}

TEST_F(LoaderCsv, ErrorsNameTheCellAndTheFieldThatNamedTheFile) {
  write("export.csv", "name,phone\nAda,+18005550100\nBen,call me\nCy\n");
  LoadResult r = load_here(R"(name: x
policy:
  blocked_numbers: [{file: export.csv, header: phone}]
  allowed_countries: [{file: export.csv, header: country}]
steps: []
)");
  std::string const text = r.error_text();
  EXPECT_THAT(text, HasSubstr(at("export.csv") +
                              ":3:5: policy.blocked_numbers[0]: expected a phone number such as "
                              "+14155550100; got \"call me\" (CSV file named at t.yaml:3:28)"));
  EXPECT_THAT(text, HasSubstr(at("export.csv") +
                              ":4:1: policy.blocked_numbers[0]: 1 cells; the header row (line 1) "
                              "has 2"));
  EXPECT_THAT(text, HasSubstr(at("export.csv") +
                              ":1:1: policy.allowed_countries[0]: no column is named \"country\"; "
                              "the header row names \"name\", \"phone\""));
}

TEST_F(LoaderCsv, ErrorsOfDifferentFilesDoNotInterleave) {
  write("a.csv", "1\n2\n3\n");
  write("b.csv", "x\ny\nz\n");
  LoadResult r = load_here(R"(name: x
policy:
  allowed_countries: [{file: a.csv}, {file: b.csv}]
steps: []
)");
  ASSERT_EQ(r.errors.size(), 6u) << r.error_text();
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(r.errors[i].mark.file, at(i < 3 ? "a.csv" : "b.csv")) << r.error_text();
    EXPECT_EQ(r.errors[i].mark.line, static_cast<int>(i % 3) + 1);
  }
}

TEST_F(LoaderCsv, SeveralColumnsWithoutHeaderAreRefused) {
  write("two.csv", "+18005550100,note\n");
  LoadResult r = load_here("name: x\npolicy: {blocked_numbers: [{file: two.csv}]}\nsteps: []\n");
  EXPECT_THAT(r.error_text(), HasSubstr(at("two.csv") + ":1:14: policy.blocked_numbers[0]: 2 "
                                                        "columns; a file of several columns "
                                                        "needs header:"));
}

}  // namespace
}  // namespace candor::scenarios
