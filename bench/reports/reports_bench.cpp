// Cost of turning a large run into reports: deriving the statistics from the
// message timelines, and writing JSON, JUnit and HTML. Run a Release build:
//   candor_reports_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only

#include <cstdint>
#include <sstream>
#include <string>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "reports/html_writer.hpp"
#include "reports/json_writer.hpp"
#include "reports/junit_writer.hpp"
#include "reports/report.hpp"

namespace candor::reports {
namespace {

constexpr std::int64_t kStartMs = 1'709'283'600'000;

/// One scenario of `messages` SMS over an hour: 10 % blocked, 5 % failed on
/// callback, the rest delivered, each with three or four events.
ScenarioReport make_scenario(std::int64_t messages) {
  ScenarioReport s{
      .name = "bench", .virtual_start_ms = kStartMs, .virtual_end_ms = kStartMs + 3'600'000};
  s.timelines.reserve(static_cast<std::size_t>(messages));
  for (std::int64_t i = 0; i < messages; ++i) {
    auto const at = kStartMs + (i * 3'600'000) / messages;
    MessageTimeline t{.message_id = fmt::format("msg-{}", i),
                      .candidate = fmt::format("CAND-{:06}", i % 50'000),
                      .channel = "sms",
                      .provider = "twilio"};
    if (i % 10 == 0) {
      t.provider.clear();
      t.final_status = "blocked";
      t.block_reason = i % 20 == 0 ? "country_not_allowed" : "candidate_daily_limit";
      t.events.push_back({at, "", "blocked", ""});
    } else {
      t.events.push_back({at, "", "queued", ""});
      t.events.push_back({at + 120 + i % 300, "queued", "sent", ""});
      auto const failed = i % 20 == 1;
      t.final_status = failed ? "failed" : "delivered";
      t.events.push_back({at + 2'000 + i % 9'000, failed ? "undelivered" : "delivered",
                          t.final_status, failed ? "30003" : ""});
    }
    s.timelines.push_back(std::move(t));
  }
  return s;
}

RunReport make_run(std::int64_t messages) {
  RunReport run{.tool_version = "bench", .seed = 1};
  run.scenarios.push_back(make_scenario(messages));
  derive_from_timelines(run.scenarios.back());
  return run;
}

void BM_Reports_DeriveFromTimelines(benchmark::State& state) {
  auto const scenario = make_scenario(state.range(0));
  for (auto _ : state) {
    auto copy = scenario;
    copy.status_counts.clear();
    derive_from_timelines(copy);
    benchmark::DoNotOptimize(copy.transitions.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Reports_DeriveFromTimelines)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

void BM_Reports_WriteJson(benchmark::State& state) {
  auto const run = make_run(state.range(0));
  for (auto _ : state) {
    std::ostringstream out;
    write_json(out, run);
    benchmark::DoNotOptimize(out.str().size());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Reports_WriteJson)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

void BM_Reports_WriteHtml(benchmark::State& state) {
  auto const run = make_run(state.range(0));
  for (auto _ : state) {
    std::ostringstream out;
    write_html(out, run);
    benchmark::DoNotOptimize(out.str().size());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Reports_WriteHtml)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

void BM_Reports_WriteJunit(benchmark::State& state) {
  auto run = make_run(10);
  for (int i = 0; i < 1'000; ++i) {
    run.scenarios[0].expectations.push_back(
        {i, fmt::format("expectation <{}> & more", i), i % 7 != 0, "12", "9", "detail"});
  }
  for (auto _ : state) {
    std::ostringstream out;
    write_junit(out, run);
    benchmark::DoNotOptimize(out.str().size());
  }
  state.SetItemsProcessed(state.iterations() * 1'000);
}
BENCHMARK(BM_Reports_WriteJunit)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace candor::reports

BENCHMARK_MAIN();
