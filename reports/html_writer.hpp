#pragma once

// The HTML report: one self-contained page per run (inline CSS, inline SVG
// charts, no script, no external asset), readable offline and attachable to a
// CI job. Per scenario: verdict, key figures, expectations, four charts (status
// funnel, status entries over virtual time, block reasons, throughput over
// time), transition matrix, latency, provider errors and message timelines.
//
// Every text of the report is escaped; a scenario named "<script>" shows as text.

#include <cstddef>
#include <ostream>
#include <string>

#include "reports/report.hpp"

namespace candor::reports {

/// Number of <svg> charts each scenario section holds.
inline constexpr int kHtmlChartsPerScenario = 4;

/// Options of write_html().
struct HtmlOptions {
  /// The page title and heading.
  std::string title = "candor run report";
  /// Message timelines listed per scenario; the rest are counted, not listed.
  std::size_t max_timelines = 200;
  /// Show wall-clock fields. Off gives a page that depends only on the scenarios
  /// and the seed.
  bool show_timing = true;
};

/// Writes the HTML page of `run` to `out`.
void write_html(std::ostream& out, RunReport const& run, HtmlOptions const& options = {});

}  // namespace candor::reports
