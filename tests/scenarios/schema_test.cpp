#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "scenarios/loader.hpp"

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

/// Checks a document against the keywords the scenario schema uses: $ref (a
/// JSON pointer into the schema), type, enum, const, pattern, minLength,
/// required, properties, additionalProperties, propertyNames, minProperties,
/// maxProperties, items, minItems, maxItems, uniqueItems, minimum, maximum and
/// oneOf. Returns one line per violation.
class SchemaCheck {
 public:
  explicit SchemaCheck(json schema) : root_(std::move(schema)) {}

  std::vector<std::string> check(json const& value) {
    std::vector<std::string> errors;
    visit(root_, value, "$", errors);
    return errors;
  }

 private:
  json const& resolve(json const& schema) const {
    if (!schema.contains("$ref")) {
      return schema;
    }
    auto const ref = schema["$ref"].get<std::string>();
    return resolve(root_.at(json::json_pointer(ref.substr(1))));
  }

  static bool has_type(json const& value, json const& types) {
    if (types.is_array()) {
      return std::any_of(types.begin(), types.end(),
                         [&](json const& type) { return has_type(value, type); });
    }
    auto const type = types.get<std::string>();
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
    return type == "null" && value.is_null();
  }

  void visit(json const& raw, json const& value, std::string const& path,
             std::vector<std::string>& errors) {
    json const& schema = resolve(raw);
    if (schema.contains("oneOf")) {
      int matches = 0;
      for (auto const& option : schema["oneOf"]) {
        std::vector<std::string> ignored;
        visit(option, value, path, ignored);
        matches += ignored.empty() ? 1 : 0;
      }
      if (matches != 1) {
        errors.push_back(fmt_error(path, "matches " + std::to_string(matches) + " of oneOf"));
      }
    }
    if (schema.contains("type") && !has_type(value, schema["type"])) {
      errors.push_back(fmt_error(path, "not of type " + schema["type"].dump()));
      return;
    }
    if (schema.contains("const") && value != schema["const"]) {
      errors.push_back(fmt_error(path, "not " + schema["const"].dump()));
    }
    if (schema.contains("enum") &&
        std::find(schema["enum"].begin(), schema["enum"].end(), value) == schema["enum"].end()) {
      errors.push_back(fmt_error(path, value.dump() + " not one of " + schema["enum"].dump()));
    }
    if (value.is_string()) {
      auto const& text = value.get_ref<std::string const&>();
      if (schema.contains("pattern") &&
          !std::regex_search(text, std::regex(schema["pattern"].get<std::string>()))) {
        errors.push_back(fmt_error(path, "\"" + text + "\" does not match its pattern"));
      }
      if (schema.contains("minLength") && text.size() < schema["minLength"].get<std::size_t>()) {
        errors.push_back(fmt_error(path, "too short"));
      }
    }
    if (value.is_number()) {
      if (schema.contains("minimum") && value.get<double>() < schema["minimum"].get<double>()) {
        errors.push_back(fmt_error(path, "below minimum"));
      }
      if (schema.contains("maximum") && value.get<double>() > schema["maximum"].get<double>()) {
        errors.push_back(fmt_error(path, "above maximum"));
      }
    }
    if (value.is_object()) {
      visit_object(schema, value, path, errors);
    }
    if (value.is_array()) {
      visit_array(schema, value, path, errors);
    }
  }

  void visit_object(json const& schema, json const& value, std::string const& path,
                    std::vector<std::string>& errors) {
    for (auto const& key : schema.value("required", json::array())) {
      if (!value.contains(key.get<std::string>())) {
        errors.push_back(fmt_error(path, "missing " + key.get<std::string>()));
      }
    }
    if (schema.contains("minProperties") &&
        value.size() < schema["minProperties"].get<std::size_t>()) {
      errors.push_back(fmt_error(path, "too few keys"));
    }
    if (schema.contains("maxProperties") &&
        value.size() > schema["maxProperties"].get<std::size_t>()) {
      errors.push_back(fmt_error(path, "too many keys"));
    }
    auto const properties = schema.value("properties", json::object());
    for (auto const& [key, item] : value.items()) {
      auto const child = path + "." + key;
      if (schema.contains("propertyNames")) {
        visit(schema["propertyNames"], json(key), child + " (key)", errors);
      }
      if (properties.contains(key)) {
        visit(properties[key], item, child, errors);
      } else if (schema.contains("additionalProperties")) {
        auto const& extra = schema["additionalProperties"];
        if (extra.is_boolean() && !extra.get<bool>()) {
          errors.push_back(fmt_error(child, "not allowed"));
        } else if (extra.is_object()) {
          visit(extra, item, child, errors);
        }
      }
    }
  }

  void visit_array(json const& schema, json const& value, std::string const& path,
                   std::vector<std::string>& errors) {
    if (schema.contains("maxItems") && value.size() > schema["maxItems"].get<std::size_t>()) {
      errors.push_back(fmt_error(path, "too many items"));
    }
    if (schema.value("uniqueItems", false)) {
      for (std::size_t i = 0; i < value.size(); ++i) {
        for (std::size_t j = i + 1; j < value.size(); ++j) {
          if (value[i] == value[j]) {
            errors.push_back(fmt_error(path, "repeats " + value[i].dump()));
          }
        }
      }
    }
    if (schema.contains("items")) {
      for (std::size_t i = 0; i < value.size(); ++i) {
        visit(schema["items"], value[i], path + "[" + std::to_string(i) + "]", errors);
      }
    }
  }

  static std::string fmt_error(std::string const& path, std::string const& what) {
    return path + ": " + what;
  }

  json root_;
};

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
