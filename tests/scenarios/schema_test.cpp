#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "scenarios/loader.hpp"

namespace candor::scenarios {
namespace {

std::filesystem::path source(std::string const& relative) {
  return std::filesystem::path(CANDOR_SOURCE_DIR) / relative;
}

TEST(ScenarioSchema, IsValidJsonAndCoversEveryTopLevelKey) {
  std::ifstream in(source("scenarios/schema/scenario.schema.json"));
  ASSERT_TRUE(in) << "schema file missing";
  nlohmann::json const schema = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(schema.is_discarded()) << "schema is not valid JSON";
  EXPECT_EQ(schema.at("$schema"), "https://json-schema.org/draft/2020-12/schema");

  auto const& properties = schema.at("properties");
  for (std::string const& key : top_level_keys()) {
    EXPECT_TRUE(properties.contains(key)) << "schema lacks top-level key " << key;
  }
  EXPECT_EQ(properties.size(), top_level_keys().size()) << "schema has keys the loader refuses";
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
