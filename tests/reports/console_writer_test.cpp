#include "reports/console_writer.hpp"

#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/reports/sample_report.hpp"

namespace candor::reports {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

std::string render(RunReport const& run, ConsoleOptions const& options = {}) {
  std::ostringstream out;
  write_console(out, run, options);
  return out.str();
}

TEST(ConsoleWriter, SummarisesEachScenario) {
  auto const text = render(make_sample_run());

  EXPECT_THAT(text, HasSubstr("SCENARIO"));
  EXPECT_THAT(text, ContainsRegex("SCENARIO +RESULT +SEED +MESSAGES"));
  EXPECT_THAT(text, ContainsRegex("bulk send to a requisition +PASS +42 +120 "));
  EXPECT_THAT(text, ContainsRegex("limits +FAIL +7 +40 "));
  EXPECT_THAT(text, HasSubstr("delivered"));
  EXPECT_THAT(text, HasSubstr("10 min"));
  EXPECT_THAT(text, HasSubstr("blocked by reason: candidate_daily_limit 3, country_not_allowed 9"));
  EXPECT_THAT(text, HasSubstr("FAIL: 1 of 2 scenarios passed, 2 expectations failed"));
}

TEST(ConsoleWriter, ShowsFailedExpectationsWithExpectedAndActual) {
  auto const text = render(make_sample_run());

  EXPECT_THAT(text, HasSubstr("FAIL step 2: blocked count <exact>\n"
                              "         expected: 12\n"
                              "         actual:   9\n"
                              "         detail:   candidate_daily_limit counted 9 & not 12\n"));
  EXPECT_THAT(text, Not(HasSubstr("no message sent twice")));
  EXPECT_THAT(render(make_sample_run(), {.show_passed = true}), HasSubstr("no message sent twice"));
}

TEST(ConsoleWriter, ColoursOnlyWhenAsked) {
  EXPECT_THAT(render(make_sample_run()), Not(HasSubstr("\x1b[")));

  auto const coloured = render(make_sample_run(), {.color = true});
  EXPECT_THAT(coloured, HasSubstr("\x1b[32mPASS"));
  EXPECT_THAT(coloured, HasSubstr("\x1b[31mFAIL"));
}

TEST(ConsoleWriter, TimingFieldsCanBeLeftOut) {
  auto const with_timing = render(make_sample_run());
  EXPECT_THAT(with_timing, HasSubstr("WALL"));
  EXPECT_THAT(with_timing, HasSubstr("started 2024-03-01T10:15:02.123Z"));

  auto const without = render(make_sample_run(), {.show_timing = false});
  EXPECT_THAT(without, Not(HasSubstr("WALL")));
  EXPECT_THAT(without, Not(HasSubstr("started")));
}

TEST(ConsoleWriter, NeutralisesTerminalControls) {
  auto run = make_sample_run();
  run.scenarios[0].name = "evil\x1b[2Jname";

  auto const text = render(run);

  EXPECT_THAT(text, HasSubstr("evil?[2Jname"));
  EXPECT_THAT(text, Not(HasSubstr("\x1b")));
}

TEST(ConsoleWriter, ReportsScenarioErrors) {
  RunReport run;
  run.scenarios.push_back(
      ScenarioReport{.name = "broken", .passed = false, .error = "a.yaml:3:7: unknown key"});

  auto const text = render(run);

  EXPECT_THAT(text, HasSubstr("error: a.yaml:3:7: unknown key"));
  EXPECT_THAT(text, HasSubstr("blocked by reason: none"));

  run.scenarios[0].error_kind = std::string(kInputError);
  EXPECT_THAT(render(run), HasSubstr("error (unusable input): a.yaml:3:7: unknown key"));
}

TEST(ConsoleWriter, HeaderNamesTheSeedOnlyWhenOneWasGivenForAll) {
  auto run = make_sample_run();
  EXPECT_THAT(render(run), HasSubstr("· seed 42 for all"));

  run.seed.reset();
  auto const text = render(run);
  EXPECT_THAT(text, HasSubstr("· each scenario's own seed"));
  EXPECT_THAT(text, Not(HasSubstr("seed 0")));
}

TEST(ConsoleWriter, NamesEachExpectationWithItsStepAndLabel) {
  auto run = make_sample_run();
  run.scenarios[1].expectations[1].step_label = "after the outage";

  EXPECT_THAT(render(run), HasSubstr("FAIL step 2 (after the outage): blocked count <exact>\n"));
}

TEST(ConsoleWriter, ShowsTheVirtualRateOrSaysNoTimeElapsed) {
  auto run = make_sample_run();
  EXPECT_THAT(render(run), HasSubstr("virtual throughput: 95 sent in 7 min 55 s from the first "
                                     "admission (12.0 per minute)"));

  RunReport instant;
  instant.scenarios.push_back(ScenarioReport{.name = "instant"});
  instant.scenarios[0].timelines = {
      {.message_id = "1",
       .final_status = "sent",
       .events = {{5, "", "queued", ""}, {5, "accepted", "sent", ""}}},
      {.message_id = "2",
       .final_status = "sent",
       .events = {{5, "", "queued", ""}, {5, "accepted", "sent", ""}}}};
  derive_from_timelines(instant.scenarios[0]);
  auto const text = render(instant);
  EXPECT_THAT(text, HasSubstr("virtual throughput: no virtual time elapsed (2 sent at the instant "
                              "of the first admission)"));
  EXPECT_THAT(text, Not(HasSubstr("inf")));
}

}  // namespace
}  // namespace candor::reports
