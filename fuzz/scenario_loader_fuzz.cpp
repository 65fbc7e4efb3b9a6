// Fuzzes the scenario YAML loader (scenarios/loader.hpp) with whole files of text.
// Scenario files are written by people, so every mistake must come back as a
// diagnostic naming its place, never as a crash, an exception or a hang.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "fuzz/fuzz_support.hpp"
#include "scenarios/loader.hpp"

namespace {

// A folder holding one small CSV file, so that inputs naming "numbers.csv" read
// real values and the CSV branch of the loader is reached.
std::string const& base_dir() {
  static std::string const dir = [] {
    auto const path = std::filesystem::temp_directory_path() / "candor-fuzz-scenario";
    std::filesystem::create_directories(path);
    std::ofstream(path / "numbers.csv") << "number\n+14155550100\n\"+1 888 555 0100\"\n";
    return path.string();
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string_view const text(reinterpret_cast<char const*>(data), size);
  auto const result = candor::scenarios::load_scenario_text(text, "fuzz.yaml", base_dir());

  CANDOR_FUZZ_EXPECT(result.ok() || !result.errors.empty(), "a refused file says why");
  CANDOR_FUZZ_EXPECT(result.scenario.has_value() == result.errors.empty(),
                     "a scenario comes back exactly when there are no errors");
  for (auto const& error : result.errors) {
    CANDOR_FUZZ_EXPECT(!error.message.empty(), "every diagnostic has a message");
    CANDOR_FUZZ_EXPECT(!error.to_string().empty(), "every diagnostic prints");
  }
  return 0;
}
