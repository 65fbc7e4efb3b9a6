#pragma once

// The console report: a summary table of the run's scenarios, then per scenario
// its block reasons and every failed expectation with expected and actual values.

#include <ostream>

#include "reports/report.hpp"

namespace candor::reports {

/// Options of write_console().
struct ConsoleOptions {
  /// ANSI colours; set it only when the stream is a terminal (the caller knows).
  bool color = false;
  /// Show wall-clock fields (run start, wall durations). Off gives output that
  /// depends only on the scenarios and the seed.
  bool show_timing = true;
  /// List passing expectations too, not only failing ones.
  bool show_passed = false;
};

/// Writes the console report of `run` to `out`. Control characters in report text
/// are shown as '?', so a scenario name cannot drive the terminal.
void write_console(std::ostream& out, RunReport const& run, ConsoleOptions const& options = {});

}  // namespace candor::reports
