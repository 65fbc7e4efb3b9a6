#pragma once

// The JUnit XML report for CI: <testsuites> for the run, one <testsuite> per
// scenario, one <testcase> per expectation (classname = scenario name, name =
// expectation label). A failed expectation carries a <failure> with its expected
// and actual values; a scenario that could not run carries an <error>.
//
// The shape follows what Jenkins, GitLab and GitHub test reporters read: counts
// (tests, failures, errors, skipped) and times in seconds on both levels.

#include <ostream>

#include "reports/report.hpp"

namespace candor::reports {

/// Label of the testcase added for a scenario without expectations, or with an
/// error or a failure no expectation explains, so every suite has a verdict.
inline constexpr std::string_view kScenarioCaseName = "scenario completed";

/// Writes the JUnit XML document of `run` to `out` (UTF-8, all text escaped).
void write_junit(std::ostream& out, RunReport const& run);

}  // namespace candor::reports
