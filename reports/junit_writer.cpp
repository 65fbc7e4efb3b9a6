#include "reports/junit_writer.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "reports/detail/text.hpp"

namespace candor::reports {
namespace {

using detail::escape_xml;

std::string seconds(std::int64_t ms) {
  return fmt::format("{:.3f}", static_cast<double>(ms) / 1e3);
}

struct SuiteCounts {
  std::int64_t tests = 0;
  std::int64_t failures = 0;
  std::int64_t errors = 0;
};

/// Whether the scenario needs the synthetic kScenarioCaseName testcase.
bool needs_scenario_case(ScenarioReport const& s) {
  auto const any_failed = std::any_of(s.expectations.begin(), s.expectations.end(),
                                      [](ExpectationResult const& e) { return !e.passed; });
  return s.expectations.empty() || !s.error.empty() || (!s.passed && !any_failed);
}

SuiteCounts count(ScenarioReport const& s) {
  SuiteCounts counts;
  for (auto const& e : s.expectations) {
    ++counts.tests;
    counts.failures += e.passed ? 0 : 1;
  }
  if (needs_scenario_case(s)) {
    ++counts.tests;
    if (!s.error.empty()) {
      ++counts.errors;
    } else if (!s.passed) {
      ++counts.failures;
    }
  }
  return counts;
}

void write_property(std::ostream& out, std::string_view name, std::string_view value) {
  out << fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", escape_xml(name),
                     escape_xml(value));
}

void write_expectation(std::ostream& out, std::string const& classname, ExpectationResult const& e,
                       std::string const& name) {
  out << fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"0.000\"", classname,
                     escape_xml(name));
  if (e.passed) {
    out << "/>\n";
    return;
  }

  auto const message = fmt::format("expected {}, actual {}", e.expected, e.actual);
  auto body = fmt::format("{}\nexpected: {}\nactual: {}", step_name(e), e.expected, e.actual);
  if (!e.detail.empty()) {
    body += "\ndetail: " + e.detail;
  }
  out << ">\n";
  out << fmt::format("      <failure message=\"{}\" type=\"expectation\">{}</failure>\n",
                     escape_xml(message), escape_xml(body));
  out << "    </testcase>\n";
}

void write_scenario_case(std::ostream& out, std::string const& classname, ScenarioReport const& s) {
  out << fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{}\"", classname,
                     escape_xml(kScenarioCaseName), seconds(s.wall_ms));
  if (!s.error.empty()) {
    out << fmt::format(">\n      <error message=\"{}\" type=\"scenario\">{}</error>\n",
                       escape_xml(s.error), escape_xml(s.error));
    out << "    </testcase>\n";
    return;
  }
  if (!s.passed) {
    out << ">\n      <failure message=\"scenario failed\" type=\"scenario\"/>\n";
    out << "    </testcase>\n";
    return;
  }
  out << "/>\n";
}

void write_suite(std::ostream& out, ScenarioReport const& s, std::string_view timestamp) {
  auto const counts = count(s);
  auto const classname = escape_xml(s.name);
  out << fmt::format(
      "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" "
      "time=\"{}\"",
      classname, counts.tests, counts.failures, counts.errors, seconds(s.wall_ms));
  if (!timestamp.empty()) {
    out << fmt::format(" timestamp=\"{}\"", escape_xml(timestamp));
  }
  out << ">\n";

  out << "    <properties>\n";
  write_property(out, "file", s.file);
  write_property(out, "description", s.description);
  write_property(out, "seed", std::to_string(s.seed));
  write_property(out, "virtual_start", format_iso8601(s.virtual_start_ms));
  write_property(out, "virtual_end", format_iso8601(s.virtual_end_ms));
  write_property(out, "messages", std::to_string(message_count(s)));
  out << "    </properties>\n";

  auto const names = expectation_names(s);
  for (std::size_t i = 0; i < s.expectations.size(); ++i) {
    write_expectation(out, classname, s.expectations[i], names[i]);
  }
  if (needs_scenario_case(s)) {
    write_scenario_case(out, classname, s);
  }
  out << "  </testsuite>\n";
}

}  // namespace

void write_junit(std::ostream& out, RunReport const& run) {
  SuiteCounts total;
  for (auto const& s : run.scenarios) {
    auto const counts = count(s);
    total.tests += counts.tests;
    total.failures += counts.failures;
    total.errors += counts.errors;
  }

  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << fmt::format(
      "<testsuites name=\"candor\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" "
      "time=\"{}\">\n",
      total.tests, total.failures, total.errors, seconds(run.wall_ms));
  for (auto const& s : run.scenarios) {
    write_suite(out, s, run.started_at);
  }
  out << "</testsuites>\n";
}

}  // namespace candor::reports
