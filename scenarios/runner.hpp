#pragma once

// The runner: builds the world a scenario describes and executes its steps.
//
// One run owns a ManualClock and a WorkTracker, a SQLite store in a fresh
// temporary folder, the send policy, the fake providers configured from the
// scenario, the core's providers pointed at the fakes, the core's webhook
// server registered as the fakes' callback URL, and the Messenger. Steps run in
// order; each expect step becomes expectation results in the report.
//
//   auto loaded = load_scenario_file("suite/smoke.yaml");
//   reports::ScenarioReport report = run_scenario(*loaded.scenario);
//
// The same scenario and seed give the same report apart from wall-clock fields.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "reports/report.hpp"
#include "scenarios/scenario.hpp"

namespace candor::scenarios {

struct RunOptions {
  /// Replaces the scenario's seed when set (--seed).
  std::optional<std::uint64_t> seed;
  /// Folder for the run's database; a fresh folder under the system temporary
  /// folder when empty. The folder is removed after the run unless keep_files.
  std::string work_dir;
  bool keep_files = false;
  /// Called before each step with its index, the step count and its label.
  std::function<void(std::size_t, std::size_t, std::string const&)> on_step;
};

/// Runs one loaded scenario. Never throws: a world that cannot be built (a port
/// that cannot be bound, a configuration the core refuses) is reported in
/// ScenarioReport::error with passed == false.
reports::ScenarioReport run_scenario(Scenario const& scenario, RunOptions const& options = {});

}  // namespace candor::scenarios
