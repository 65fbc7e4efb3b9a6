#include "reports/json_writer.hpp"

#include <string>
#include <string_view>

#include "reports/detail/text.hpp"

namespace candor::reports {
namespace {

using Json = nlohmann::ordered_json;

/// Strings go through UTF-8 repair: nlohmann::json refuses to dump invalid UTF-8.
Json text(std::string_view value) {
  return detail::sanitize_utf8(value);
}

Json counts_json(std::map<std::string, std::int64_t> const& counts) {
  auto out = Json::object();
  for (auto const& [name, count] : counts) {
    out[detail::sanitize_utf8(name)] = count;
  }
  return out;
}

Json rates_json(Rates const& rates) {
  return {{"admitted", rates.admitted}, {"sent", rates.sent}, {"delivered", rates.delivered}};
}

/// null stands for "no virtual time elapsed".
Json optional_json(std::optional<double> value) {
  return value ? Json(*value) : Json(nullptr);
}

Json optional_json(std::optional<std::int64_t> value) {
  return value ? Json(*value) : Json(nullptr);
}

Json virtual_rates_json(VirtualRates const& rates) {
  return {{"admitted", optional_json(rates.admitted)},
          {"sent", optional_json(rates.sent)},
          {"delivered", optional_json(rates.delivered)}};
}

Json virtual_window_json(Throughput const& t) {
  auto window = [&](std::optional<std::int64_t> last) -> std::optional<std::int64_t> {
    if (!last || !t.first_admitted_ms) {
      return std::nullopt;
    }
    return *last - *t.first_admitted_ms;
  };
  return {{"admitted", optional_json(window(t.last_admitted_ms))},
          {"sent", optional_json(window(t.last_sent_ms))},
          {"delivered", optional_json(window(t.last_delivered_ms))}};
}

Json latency_json(LatencyStats const& stats) {
  return {{"count", stats.count},
          {"p50", stats.p50_ms},
          {"p90", stats.p90_ms},
          {"p99", stats.p99_ms},
          {"max", stats.max_ms}};
}

Json expectation_json(ExpectationResult const& e) {
  return {{"step", e.step_index},    {"step_label", text(e.step_label)}, {"label", text(e.label)},
          {"passed", e.passed},      {"expected", text(e.expected)},     {"actual", text(e.actual)},
          {"detail", text(e.detail)}};
}

Json timeline_json(MessageTimeline const& timeline) {
  auto events = Json::array();
  for (auto const& event : timeline.events) {
    events.push_back({{"virtual_ms", event.virtual_ms},
                      {"at", format_iso8601(event.virtual_ms)},
                      {"raw_status", text(event.raw_status)},
                      {"status", text(event.status)},
                      {"error_code", text(event.error_code)}});
  }
  return {{"message_id", text(timeline.message_id)},
          {"candidate", text(timeline.candidate)},
          {"channel", text(timeline.channel)},
          {"provider", text(timeline.provider)},
          {"final_status", text(timeline.final_status)},
          {"block_reason", text(timeline.block_reason)},
          {"events", std::move(events)}};
}

Json time_series_json(TimeSeries const& series) {
  auto buckets = Json::array();
  for (auto const& bucket : series.buckets) {
    buckets.push_back({{"start_ms", bucket.start_ms}, {"entered", counts_json(bucket.entered)}});
  }
  return {{"bucket_ms", series.bucket_ms}, {"buckets", std::move(buckets)}};
}

Json scenario_json(ScenarioReport const& s, JsonOptions const& options) {
  auto const virtual_ms = s.virtual_end_ms - s.virtual_start_ms;

  auto expectations = Json::array();
  for (auto const& e : s.expectations) {
    expectations.push_back(expectation_json(e));
  }
  auto transitions = Json::array();
  for (auto const& t : s.transitions) {
    transitions.push_back({{"from", text(t.from)}, {"to", text(t.to)}, {"count", t.count}});
  }
  auto errors = Json::array();
  for (auto const& e : s.provider_errors) {
    errors.push_back({{"provider", text(e.provider)},
                      {"code", text(e.code)},
                      {"count", e.count},
                      {"example_message_id", text(e.example_message_id)}});
  }

  Json out = {
      {"name", text(s.name)},
      {"file", text(s.file)},
      {"description", text(s.description)},
      {"passed", s.passed},
      {"error", text(s.error)},
      {"error_kind", text(s.error_kind)},
      {"seed", s.seed},
      {"messages", message_count(s)},
      {"virtual",
       {{"start_ms", s.virtual_start_ms},
        {"end_ms", s.virtual_end_ms},
        {"start", format_iso8601(s.virtual_start_ms)},
        {"end", format_iso8601(s.virtual_end_ms)},
        {"duration_ms", virtual_ms}}},
      {"wall", {{"duration_ms", s.wall_ms}}},
      {"expectations", std::move(expectations)},
      {"status_counts", counts_json(s.status_counts)},
      {"block_reason_counts", counts_json(s.block_reason_counts)},
      {"provider_requests", counts_json(s.provider_requests)},
      {"transitions", std::move(transitions)},
      {"provider_errors", std::move(errors)},
      {"throughput",
       {{"admitted", s.throughput.admitted},
        {"sent", s.throughput.sent},
        {"delivered", s.throughput.delivered},
        {"virtual_window_ms", virtual_window_json(s.throughput)},
        {"per_virtual_second", virtual_rates_json(virtual_rates(s.throughput))},
        {"wall", {{"per_second", rates_json(rates_per_second(s.throughput, s.wall_ms))}}}}},
      {"latency_ms",
       {{"send_to_accepted", latency_json(s.latency.send_to_accepted)},
        {"send_to_delivered", latency_json(s.latency.send_to_delivered)}}},
      {"time_series", time_series_json(s.time_series)},
  };

  if (options.include_timelines) {
    auto timelines = Json::array();
    for (auto const& timeline : s.timelines) {
      timelines.push_back(timeline_json(timeline));
    }
    out["timelines"] = std::move(timelines);
  }
  return out;
}

}  // namespace

nlohmann::ordered_json to_json(RunReport const& run, JsonOptions const& options) {
  std::int64_t expectations = 0;
  std::int64_t expectations_failed = 0;
  std::int64_t scenarios_passed = 0;
  auto scenarios = Json::array();
  for (auto const& scenario : run.scenarios) {
    scenarios_passed += scenario.passed ? 1 : 0;
    for (auto const& e : scenario.expectations) {
      ++expectations;
      expectations_failed += e.passed ? 0 : 1;
    }
    scenarios.push_back(scenario_json(scenario, options));
  }

  auto const scenario_total = static_cast<std::int64_t>(run.scenarios.size());
  return {
      {"schema", "candor-report"},
      {"schema_version", kJsonSchemaVersion},
      {"tool_version", text(run.tool_version)},
      {"seed", run.seed ? Json(*run.seed) : Json(nullptr)},
      {"passed", run_passed(run)},
      {"wall", {{"started_at", text(run.started_at)}, {"duration_ms", run.wall_ms}}},
      {"totals",
       {{"scenarios", scenario_total},
        {"scenarios_passed", scenarios_passed},
        {"scenarios_failed", scenario_total - scenarios_passed},
        {"expectations", expectations},
        {"expectations_failed", expectations_failed}}},
      {"scenarios", std::move(scenarios)},
  };
}

void write_json(std::ostream& out, RunReport const& run, JsonOptions const& options) {
  out << to_json(run, options).dump(options.indent, ' ', false, Json::error_handler_t::replace)
      << '\n';
}

}  // namespace candor::reports
