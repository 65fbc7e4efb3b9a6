// Fuzzes the report pipeline (reports/): the report has no parser of its own, but
// its text comes from scenario files and provider answers and its numbers from the
// virtual clock, so the derivations and every writer see untrusted values. The JSON
// written must always parse back; the format list of the command line is parsed too.
//
// Input layout: line 1 is a format list, then records, each led by a byte that says
// what it adds: an expectation, a timeline, an event of the last timeline, or the
// scenario's virtual start and end.

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz/fuzz_support.hpp"
#include "reports/console_writer.hpp"
#include "reports/html_writer.hpp"
#include "reports/json_writer.hpp"
#include "reports/junit_writer.hpp"
#include "reports/report.hpp"
#include "reports/write_all.hpp"

namespace reports = candor::reports;

namespace {

constexpr std::size_t kMaxTimelines = 64;
constexpr std::size_t kMaxEvents = 512;

// Mostly small times near the scenario, sometimes anywhere within +-2^51 ms (70,000
// years). Beyond that the writers' duration arithmetic overflows int64; real virtual
// clocks are nowhere near, and the bugs fuzzing found at INT64_MIN/MAX are fixed and
// pinned by tests/reports/report_test.cpp.
std::int64_t take_time(candor::fuzz::Input& input) {
  auto const raw = input.take_u64();
  if ((raw & 1) == 0) {
    return static_cast<std::int64_t>(raw >> 40);
  }
  return static_cast<std::int64_t>(raw) >> 12;
}

reports::ScenarioReport build_scenario(candor::fuzz::Input& input) {
  reports::ScenarioReport scenario;
  scenario.name = std::string(input.take_line());
  scenario.description = std::string(input.take_line());
  std::size_t events = 0;
  while (!input.empty()) {
    switch (input.take_byte() % 5) {
      case 0: {
        reports::ExpectationResult expectation;
        expectation.passed = (input.take_byte() & 1) != 0;
        expectation.label = std::string(input.take_line());
        expectation.expected = std::string(input.take_line());
        expectation.actual = std::string(input.take_line());
        scenario.expectations.push_back(std::move(expectation));
        break;
      }
      case 1:
        if (scenario.timelines.size() < kMaxTimelines) {
          reports::MessageTimeline timeline;
          timeline.message_id = std::string(input.take_line());
          timeline.channel = std::string(input.take_line());
          timeline.provider = std::string(input.take_line());
          timeline.final_status = std::string(input.take_line());
          timeline.block_reason = std::string(input.take_line());
          scenario.timelines.push_back(std::move(timeline));
        }
        break;
      case 2:
        if (!scenario.timelines.empty() && events < kMaxEvents) {
          reports::TimelineEvent event;
          event.virtual_ms = take_time(input);
          event.status = std::string(input.take_line());
          event.raw_status = std::string(input.take_line());
          event.error_code = std::string(input.take_line());
          scenario.timelines.back().events.push_back(std::move(event));
          ++events;
        }
        break;
      case 3:
        scenario.virtual_start_ms = take_time(input);
        scenario.virtual_end_ms = take_time(input);
        break;
      default:
        scenario.error = std::string(input.take_line());
        break;
    }
  }
  scenario.passed = scenario.error.empty();
  return scenario;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  candor::fuzz::Input input(data, size);

  std::string error;
  auto const formats = reports::parse_formats(input.take_line(), error);
  CANDOR_FUZZ_EXPECT(formats.has_value() || !error.empty(), "a bad format list says why");

  reports::RunReport run;
  run.tool_version = "fuzz";
  run.scenarios.push_back(build_scenario(input));
  reports::derive_from_timelines(run.scenarios.back());

  std::ostringstream json;
  reports::write_json(json, run);
  auto const parsed = nlohmann::json::parse(json.str(), nullptr, false);
  CANDOR_FUZZ_EXPECT(!parsed.is_discarded(), "the JSON report always parses");

  std::ostringstream junit;
  reports::write_junit(junit, run);
  std::ostringstream console;
  reports::write_console(console, run);
  std::ostringstream html;
  reports::write_html(html, run);
  CANDOR_FUZZ_EXPECT(!junit.str().empty() && !html.str().empty(), "every writer writes");
  return 0;
}
