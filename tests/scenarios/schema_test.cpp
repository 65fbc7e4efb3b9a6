#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "scenarios/loader.hpp"
#include "tests/support/json_schema_check.hpp"

namespace candor::scenarios {
namespace {

using nlohmann::json;
using ::testing::IsEmpty;
using ::testing::Not;

std::filesystem::path source(std::string const& relative) {
  return std::filesystem::path(CANDOR_SOURCE_DIR) / relative;
}

json load_schema() {
  std::ifstream in(source("scenarios/schema/scenario.schema.json"));
  return json::parse(in, nullptr, false);
}

/// YAML as JSON, typing plain scalars the way YAML 1.2's core schema does;
/// quoted scalars stay text.
json to_json(YAML::Node const& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (auto it = node.begin(); it != node.end(); ++it) {
        out[it->first.Scalar()] = to_json(it->second);
      }
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (auto const& item : node) {
        out.push_back(to_json(item));
      }
      return out;
    }
    case YAML::NodeType::Scalar: {
      std::string const& text = node.Scalar();
      if (node.Tag() == "!") {
        return text;
      }
      if (text == "null" || text == "~") {
        return nullptr;
      }
      if (text == "true" || text == "false") {
        return text == "true";
      }
      if (std::regex_match(text, std::regex("-?[0-9]+"))) {
        return std::stoll(text);
      }
      if (std::regex_match(text, std::regex("-?[0-9]+\\.[0-9]+([eE][-+]?[0-9]+)?"))) {
        return std::stod(text);
      }
      return text;
    }
    default:
      return nullptr;
  }
}

using SchemaCheck = testing_support::JsonSchemaCheck;

std::vector<std::string> schema_errors(std::string const& yaml) {
  return SchemaCheck(load_schema()).check(to_json(YAML::Load(yaml)));
}

TEST(ScenarioSchema, IsValidJsonAndCoversEveryTopLevelKey) {
  json const schema = load_schema();
  ASSERT_FALSE(schema.is_discarded()) << "schema is not valid JSON";
  EXPECT_EQ(schema.at("$schema"), "https://json-schema.org/draft/2020-12/schema");

  auto const& properties = schema.at("properties");
  for (std::string const& key : top_level_keys()) {
    EXPECT_TRUE(properties.contains(key)) << "schema lacks top-level key " << key;
  }
  EXPECT_EQ(properties.size(), top_level_keys().size()) << "schema has keys the loader refuses";
}

TEST(ScenarioSchema, AcceptsEveryBundledScenario) {
  std::string const folder[] = {source("scenarios/suite").string()};
  for (std::string const& file : find_scenario_files(folder).files) {
    EXPECT_THAT(SchemaCheck(load_schema()).check(to_json(YAML::LoadFile(file))), IsEmpty()) << file;
  }
}

TEST(ScenarioSchema, AcceptsTheCompleteExampleOfTheDocs) {
  std::ifstream in(source("docs/scenarios.md"));
  std::stringstream text;
  text << in.rdbuf();
  std::string const doc = text.str();
  auto const section = doc.find("## A complete example");
  ASSERT_NE(section, std::string::npos);
  auto const begin = doc.find("```yaml\n", section) + 8;
  auto const end = doc.find("```", begin);
  EXPECT_THAT(schema_errors(doc.substr(begin, end - begin)), IsEmpty());
}

/// What the loader refuses for lack of a fake that could honour it, the schema
/// flags too, so that an editor marks it while typing.
TEST(ScenarioSchema, FlagsWhatTheLoaderRefuses) {
  std::string const cases[] = {
      "name: x\nproviders: {sms: {kind: syniverse, outcomes: [{result: sent}]}}\nsteps: []\n",
      "name: x\nproviders: {sms: {kind: generic, outcomes: [{result: rejected}]}}\nsteps: []\n",
      "name: x\nproviders: {sms: {kind: twilio, outcomes: [{result: failed, error_code: abc}]}}\n"
      "steps: []\n",
      "name: x\nproviders: {sms: {kind: twilio, faults: {latency: 1s}}}\nsteps: []\n",
      "name: x\nproviders: {sms: {kind: twilio, faults: {drop_callback: 0.1}}}\nsteps: []\n",
      "name: x\nproviders: {sms: {kind: generic, faults: {drop_callbacks: 0.1}}}\nsteps: []\n",
      "name: x\nproviders: {sms: {kind: twilio, faults: {bursts: [{status: 503, count: "
      "30000000}]}}}"
      "\nsteps: []\n",
      "name: x\nproviders: {email: {kind: smtp, faults: {bursts: [{status: 503}]}}}\nsteps: []\n",
      "name: x\nproviders: {email: {kind: smtp, faults: {bursts: [{start: 3}]}}}\nsteps: []\n",
      "name: x\nproviders: {sms: {kind: twilio, max_per_second: 5}}\nsteps: []\n",
      "name: x\nsteps:\n  - send_message: {channel: sms, body: hi, candidate: 1}\n",
      "name: x\nsteps:\n  - inbound: {from: \"415 555 0100\", body: STOP}\n",
      "name: x\nsteps:\n  - send_message: {channel: sms, body: hi, candidates: all,\n"
      "      context: {kind: requisition}}\n",
  };
  for (std::string const& yaml : cases) {
    EXPECT_THAT(schema_errors(yaml), Not(IsEmpty())) << yaml;
    EXPECT_FALSE(load_scenario_text(yaml, "t.yaml").ok()) << yaml;
  }
}

TEST(ScenarioSuite, EveryBundledScenarioLoads) {
  std::string const folder[] = {source("scenarios/suite").string()};
  FoundFiles const found = find_scenario_files(folder);
  ASSERT_GE(found.files.size(), 10u);
  for (std::string const& file : found.files) {
    LoadResult const loaded = load_scenario_file(file);
    EXPECT_TRUE(loaded.ok()) << loaded.error_text();
  }
}

}  // namespace
}  // namespace candor::scenarios
