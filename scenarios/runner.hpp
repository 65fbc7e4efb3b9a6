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

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "reports/report.hpp"
#include "scenarios/scenario.hpp"

namespace candor::scenarios {

/// Where a run is, for a progress line.
struct StepProgress {
  /// The step running, from 0, and the number of steps.
  std::size_t index = 0;
  std::size_t count = 0;
  /// The step's label, or its path ("steps[2].send_message").
  std::string label;
  /// Wall-clock time since the step started.
  std::chrono::milliseconds elapsed{0};
  /// Requests the fakes have received so far (SMTP: sessions), all channels.
  std::int64_t provider_requests = 0;
};

struct RunOptions {
  /// Replaces the scenario's seed when set (--seed).
  std::optional<std::uint64_t> seed;
  /// Folder for the run's database; a fresh folder under the system temporary
  /// folder when empty. The folder is removed after the run unless keep_files.
  std::string work_dir;
  bool keep_files = false;
  /// When set, called from a thread of the runner's own when each step starts
  /// and every progress_interval while it runs (never two calls at once). It
  /// must not block for long; the report does not depend on it.
  std::function<void(StepProgress const&)> on_progress;
  std::chrono::milliseconds progress_interval{250};
};

/// Runs one loaded scenario. Never throws: a world that cannot be built (a port
/// that cannot be bound) is reported in ScenarioReport::error with kind
/// kRunError, content the core refuses at run time (which the loader should
/// have caught) with kind kInputError naming the step; passed is then false.
reports::ScenarioReport run_scenario(Scenario const& scenario, RunOptions const& options = {});

}  // namespace candor::scenarios
