#include "reports/json_writer.hpp"

#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/reports/sample_report.hpp"
#include "tests/support/json_schema_check.hpp"

namespace candor::reports {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

json parse_written(RunReport const& run, JsonOptions const& options = {}) {
  std::ostringstream out;
  write_json(out, run, options);
  return json::parse(out.str());
}

json load_schema() {
  std::ifstream in(CANDOR_SOURCE_DIR "/reports/report-schema.json");
  EXPECT_TRUE(in.good()) << "reports/report-schema.json is missing";
  return json::parse(in);
}

using SchemaCheck = testing_support::JsonSchemaCheck;

TEST(JsonWriter, ParsesBackWithTheModelValues) {
  auto const doc = parse_written(make_sample_run());

  EXPECT_EQ(doc["schema"], "candor-report");
  EXPECT_EQ(doc["schema_version"], kJsonSchemaVersion);
  EXPECT_EQ(doc["passed"], false);
  EXPECT_EQ(doc["totals"]["expectations_failed"], 2);
  ASSERT_EQ(doc["scenarios"].size(), 2u);

  auto const& bulk = doc["scenarios"][0];
  EXPECT_EQ(bulk["name"], "bulk send to a requisition");
  EXPECT_EQ(bulk["messages"], 120);
  EXPECT_EQ(bulk["virtual"]["start"], "2024-03-01T09:00:00.000Z");
  EXPECT_EQ(bulk["virtual"]["duration_ms"], 600'000);
  EXPECT_EQ(bulk["wall"]["duration_ms"], 87);
  EXPECT_EQ(bulk["provider_requests"]["twilio"], 64);
  EXPECT_EQ(bulk["timelines"].size(), 120u);
  EXPECT_EQ(bulk["timelines"][0]["message_id"], "msg-0000");

  auto const& hostile = doc["scenarios"][1];
  EXPECT_EQ(hostile["name"], kHostileName);
  EXPECT_EQ(hostile["expectations"][1]["expected"], "12");
  EXPECT_EQ(hostile["expectations"][1]["actual"], "9");
}

TEST(JsonWriter, WritesDerivedStatistics) {
  auto const run = make_sample_run();
  auto const& model = run.scenarios[0];
  auto const doc = parse_written(run)["scenarios"][0];

  EXPECT_EQ(doc["latency_ms"]["send_to_delivered"]["p90"], model.latency.send_to_delivered.p90_ms);
  EXPECT_EQ(doc["throughput"]["delivered"], model.throughput.delivered);
  auto const rates = virtual_rates(model.throughput);
  EXPECT_DOUBLE_EQ(doc["throughput"]["per_virtual_second"]["sent"].get<double>(), *rates.sent);
  EXPECT_EQ(doc["throughput"]["virtual_window_ms"]["sent"],
            *model.throughput.last_sent_ms - *model.throughput.first_admitted_ms);
  EXPECT_EQ(doc["transitions"].size(), model.transitions.size());
  EXPECT_EQ(doc["transitions"][0]["from"], model.transitions[0].from);
  EXPECT_EQ(doc["time_series"]["bucket_ms"], model.time_series.bucket_ms);
  EXPECT_EQ(doc["provider_errors"].size(), model.provider_errors.size());
}

TEST(JsonWriter, OutputFollowsTheSchema) {
  SchemaCheck schema(load_schema());

  EXPECT_THAT(schema.check(parse_written(make_sample_run())), IsEmpty());
  EXPECT_THAT(schema.check(parse_written(make_sample_run(), {.include_timelines = false})),
              IsEmpty());
  EXPECT_THAT(schema.check(parse_written(RunReport{})), IsEmpty());
}

TEST(JsonWriter, SchemaCheckCatchesViolations) {
  SchemaCheck schema(load_schema());
  auto doc = parse_written(make_sample_run());
  doc["scenarios"][0].erase("latency_ms");
  doc["scenarios"][1]["status_counts"]["sent"] = "many";
  doc["surprise"] = 1;

  EXPECT_THAT(schema.check(doc),
              ElementsAre("$.scenarios[0]: missing latency_ms",
                          "$.scenarios[1].status_counts.sent: not of type \"integer\"",
                          "$.surprise: not allowed"));
}

TEST(JsonWriter, NoVirtualTimeElapsedIsNullNotInfinity) {
  RunReport run;
  run.scenarios.push_back(ScenarioReport{.name = "instant"});
  run.scenarios[0].timelines = {{.message_id = "1",
                                 .final_status = "sent",
                                 .events = {{5, "", "queued", ""}, {5, "accepted", "sent", ""}}}};
  derive_from_timelines(run.scenarios[0]);

  auto const doc = parse_written(run);
  auto const& throughput = doc["scenarios"][0]["throughput"];

  EXPECT_TRUE(throughput["per_virtual_second"]["sent"].is_null());
  EXPECT_EQ(throughput["per_virtual_second"]["delivered"], 0.0);
  EXPECT_EQ(throughput["virtual_window_ms"]["sent"], 0);
  EXPECT_TRUE(throughput["virtual_window_ms"]["delivered"].is_null());
  EXPECT_THAT(SchemaCheck(load_schema()).check(doc), IsEmpty());
}

TEST(JsonWriter, WritesStepLabelsErrorKindsAndAMissingRunSeedAsNull) {
  auto run = make_sample_run();
  run.seed.reset();
  run.scenarios[1].expectations[0].step_label = "after the outage";
  run.scenarios[1].error = "steps[3].set_policy: refused";
  run.scenarios[1].error_kind = std::string(kInputError);

  auto const doc = parse_written(run);

  EXPECT_TRUE(doc["seed"].is_null());
  EXPECT_EQ(doc["scenarios"][1]["seed"], 7);
  EXPECT_EQ(doc["scenarios"][1]["expectations"][0]["step_label"], "after the outage");
  EXPECT_EQ(doc["scenarios"][1]["expectations"][1]["step_label"], "");
  EXPECT_EQ(doc["scenarios"][1]["error_kind"], "input");
  EXPECT_EQ(doc["scenarios"][0]["error_kind"], "");
  EXPECT_THAT(SchemaCheck(load_schema()).check(doc), IsEmpty());

  auto broken = doc;
  broken["scenarios"][0]["error_kind"] = "oops";
  EXPECT_THAT(SchemaCheck(load_schema()).check(broken),
              ElementsAre("$.scenarios[0].error_kind: not one of [\"\",\"input\",\"run\"]"));
}

TEST(JsonWriter, EveryWallClockFieldSitsUnderWall) {
  auto run = make_sample_run();
  auto const before = parse_written(run);
  strip_timing(run);
  auto const after = parse_written(run);

  // The only differences between the two documents are inside "wall" objects.
  for (auto const& patch : json::diff(before, after)) {
    EXPECT_NE(patch["path"].get<std::string>().find("/wall/"), std::string::npos) << patch;
  }
  EXPECT_EQ(after["wall"]["started_at"], "");
}

TEST(JsonWriter, TimelinesCanBeLeftOut) {
  auto const doc = parse_written(make_sample_run(), {.include_timelines = false});

  EXPECT_FALSE(doc["scenarios"][0].contains("timelines"));
  EXPECT_TRUE(doc["scenarios"][0].contains("transitions"));
}

TEST(JsonWriter, RepairsInvalidUtf8) {
  RunReport run;
  run.scenarios.push_back(ScenarioReport{.name = "bad \xff name"});

  auto const doc = parse_written(run);

  EXPECT_EQ(doc["scenarios"][0]["name"], "bad \xEF\xBF\xBD name");
}

TEST(JsonWriter, SameInputGivesSameBytes) {
  std::ostringstream first;
  std::ostringstream second;
  write_json(first, make_sample_run());
  write_json(second, make_sample_run());

  EXPECT_EQ(first.str(), second.str());
}

}  // namespace
}  // namespace candor::reports
