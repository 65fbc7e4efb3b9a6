#include "reports/json_writer.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/reports/sample_report.hpp"

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

/// Checks `value` against the subset of JSON Schema 2020-12 the report schema
/// uses: $ref into $defs, type (one or a list), const, enum, required,
/// properties, additionalProperties, items, minimum. Returns one line per
/// violation.
class SchemaCheck {
 public:
  explicit SchemaCheck(json schema) : root_(std::move(schema)) {}

  std::vector<std::string> check(json const& value) {
    errors_.clear();
    visit(root_, value, "$");
    return errors_;
  }

 private:
  json const& resolve(json const& schema) const {
    if (!schema.contains("$ref")) {
      return schema;
    }
    auto const ref = schema["$ref"].get<std::string>();
    auto const prefix = std::string("#/$defs/");
    return root_["$defs"][ref.substr(prefix.size())];
  }

  static bool has_type(json const& value, json const& types) {
    if (types.is_array()) {
      return std::any_of(types.begin(), types.end(),
                         [&](json const& type) { return has_type(value, type); });
    }
    auto const type = types.get<std::string>();
    if (type == "null")
      return value.is_null();
    if (type == "object")
      return value.is_object();
    if (type == "array")
      return value.is_array();
    if (type == "string")
      return value.is_string();
    if (type == "integer")
      return value.is_number_integer();
    if (type == "number")
      return value.is_number();
    if (type == "boolean")
      return value.is_boolean();
    return false;
  }

  void visit(json const& raw_schema, json const& value, std::string const& path) {
    auto const& schema = resolve(raw_schema);
    if (schema.contains("type") && !has_type(value, schema["type"])) {
      errors_.push_back(path + ": not of type " + schema["type"].dump());
      return;
    }
    if (schema.contains("enum") &&
        std::find(schema["enum"].begin(), schema["enum"].end(), value) == schema["enum"].end()) {
      errors_.push_back(path + ": not one of " + schema["enum"].dump());
    }
    if (schema.contains("const") && value != schema["const"]) {
      errors_.push_back(path + ": not " + schema["const"].dump());
    }
    if (schema.contains("minimum") && value.is_number() &&
        value.get<double>() < schema["minimum"].get<double>()) {
      errors_.push_back(path + ": below minimum");
    }
    if (value.is_object()) {
      visit_object(schema, value, path);
    }
    if (value.is_array() && schema.contains("items")) {
      for (std::size_t i = 0; i < value.size(); ++i) {
        visit(schema["items"], value[i], path + "[" + std::to_string(i) + "]");
      }
    }
  }

  void visit_object(json const& schema, json const& value, std::string const& path) {
    for (auto const& key : schema.value("required", json::array())) {
      if (!value.contains(key.get<std::string>())) {
        errors_.push_back(path + ": missing " + key.get<std::string>());
      }
    }
    auto const properties = schema.value("properties", json::object());
    for (auto const& [key, item] : value.items()) {
      auto const child = path + "." + key;
      if (properties.contains(key)) {
        visit(properties[key], item, child);
      } else if (schema.contains("additionalProperties")) {
        auto const& extra = schema["additionalProperties"];
        if (extra.is_boolean() && !extra.get<bool>()) {
          errors_.push_back(child + ": not allowed");
        } else if (extra.is_object()) {
          visit(extra, item, child);
        }
      }
    }
  }

  json root_;
  std::vector<std::string> errors_;
};

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
