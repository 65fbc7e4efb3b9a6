#include "reports/html_writer.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "reports/detail/svg_chart.hpp"
#include "reports/detail/text.hpp"

namespace candor::reports {
namespace {

using detail::escape_html;
using detail::status_color;

constexpr std::string_view kStyle = R"css(
:root { --fg: #1f2937; --muted: #6b7280; --line: #e5e7eb; --bg: #f3f4f6; --card: #ffffff;
  --pass: #047857; --fail: #b91c1c; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: var(--bg); }
header.run { background: #111827; color: #f9fafb; padding: 24px 32px; }
header.run h1 { margin: 0 0 4px; font-size: 24px; display: flex; align-items: center; gap: 12px; }
header.run p { margin: 0; color: #d1d5db; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px; }
section.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 20px 24px; margin: 0 0 24px; box-shadow: 0 1px 2px rgba(0, 0, 0, .05); }
h2 { font-size: 20px; margin: 0 0 6px; display: flex; align-items: center; gap: 10px;
  flex-wrap: wrap; }
h3 { font-size: 13px; margin: 24px 0 8px; color: #374151; text-transform: uppercase;
  letter-spacing: .05em; }
p.meta { margin: 0; color: var(--muted); }
.badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 12px;
  font-weight: 700; color: #fff; letter-spacing: .05em; }
.badge.pass { background: var(--pass); }
.badge.fail { background: var(--fail); }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(112px, 1fr)); gap: 12px;
  margin: 16px 0 8px; }
.kpi { border: 1px solid var(--line); border-top: 4px solid var(--c, #4b5563); border-radius: 8px;
  padding: 8px 12px; }
.kpi .value { display: block; font-size: 20px; white-space: nowrap; font-weight: 700;
  font-variant-numeric: tabular-nums; }
.kpi .label { color: var(--muted); font-size: 12px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 16px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 12px; }
figcaption { font-weight: 600; margin-bottom: 6px; }
svg.chart { width: 100%; height: auto; display: block; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { background: #f9fafb; font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
td.step { min-width: 14em; }
tr.failed td { background: #fef2f2; }
.status { display: inline-flex; align-items: center; gap: 6px; white-space: nowrap; }
.status::before { content: ""; width: 10px; height: 10px; border-radius: 2px;
  background: var(--c, #4b5563); }
.result-pass { color: var(--pass); font-weight: 700; }
.result-fail { color: var(--fail); font-weight: 700; }
.error { border-left: 4px solid var(--fail); background: #fef2f2; padding: 8px 12px;
  margin: 12px 0; white-space: pre-wrap; }
details summary { cursor: pointer; font-weight: 600; margin: 16px 0 8px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
.muted { color: var(--muted); }
.wrap { overflow-x: auto; }
ol.events { margin: 0; padding-left: 18px; }
footer { text-align: center; color: var(--muted); padding: 8px 0 32px; font-size: 12px; }
)css";

std::string h(std::string_view text) {
  return escape_html(text);
}

std::string badge(bool passed) {
  return passed ? "<span class=\"badge pass\">PASS</span>"
                : "<span class=\"badge fail\">FAIL</span>";
}

std::string status_chip(std::string const& status) {
  if (status.empty()) {
    return "<span class=\"muted\">—</span>";
  }
  return fmt::format("<span class=\"status\" style=\"--c: {}\">{}</span>", status_color(status),
                     h(status));
}

std::int64_t count_of(std::map<std::string, std::int64_t> const& counts, std::string_view key) {
  auto const it = counts.find(std::string(key));
  return it == counts.end() ? 0 : it->second;
}

std::string percent(std::int64_t part, std::int64_t whole) {
  if (whole <= 0) {
    return "—";
  }
  return fmt::format("{:.0f} %", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

/// Offset from a scenario's start for time axes and timelines, in one unit per
/// scale so that labels line up: "+850 ms", "+12.5 s", "+4:30" (min:s), "+1:05:00".
std::string offset_label(std::int64_t ms, std::int64_t scale_ms) {
  if (ms == 0) {
    return "0";
  }
  auto const sign = ms < 0 ? "-" : "+";
  auto const abs = ms < 0 ? -ms : ms;
  if (scale_ms < 1'000) {
    return fmt::format("{}{} ms", sign, abs);
  }
  if (scale_ms < 60'000) {
    auto text = fmt::format("{:.1f}", static_cast<double>(abs) / 1000.0);
    if (text.size() > 2 && text.compare(text.size() - 2, 2, ".0") == 0) {
      text.resize(text.size() - 2);
    }
    return fmt::format("{}{} s", sign, text);
  }

  auto const seconds = abs / 1'000;
  if (scale_ms < 3'600'000) {
    return fmt::format("{}{}:{:02}", sign, seconds / 60, seconds % 60);
  }
  return fmt::format("{}{}:{:02}:{:02}", sign, seconds / 3'600, (seconds % 3'600) / 60,
                     seconds % 60);
}

/// Bucket starts as offsets from the scenario's start, in the unit of the span
/// the buckets cover (they cover the events, not the whole run).
std::vector<std::string> bucket_labels(ScenarioReport const& s) {
  std::vector<std::string> labels;
  auto const& buckets = s.time_series.buckets;
  if (buckets.empty()) {
    return labels;
  }
  auto const last_end = buckets.back().start_ms + s.time_series.bucket_ms - s.virtual_start_ms;
  for (auto const& bucket : buckets) {
    labels.push_back(offset_label(bucket.start_ms - s.virtual_start_ms, last_end));
  }
  return labels;
}

void write_head(std::ostream& out, RunReport const& run, HtmlOptions const& options) {
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << fmt::format("<title>{} — {}</title>\n", h(options.title),
                     run_passed(run) ? "PASS" : "FAIL")
      << "<style>" << kStyle << "</style>\n</head>\n<body>\n";
}

void write_run_header(std::ostream& out, RunReport const& run, HtmlOptions const& options) {
  out << "<header class=\"run\">\n";
  out << fmt::format("<h1>{} {}</h1>\n", h(options.title), badge(run_passed(run)));
  auto meta = fmt::format("candor {} · {} · {} scenario{}", h(run.tool_version),
                          run.seed ? fmt::format("seed {} for all", *run.seed)
                                   : std::string("each scenario's own seed"),
                          run.scenarios.size(), run.scenarios.size() == 1 ? "" : "s");
  if (options.show_timing) {
    meta += fmt::format(" · started {} · wall time {}", h(run.started_at),
                        h(format_duration(run.wall_ms)));
  }
  out << "<p>" << meta << "</p>\n</header>\n";
}

void write_overview(std::ostream& out, RunReport const& run, HtmlOptions const& options) {
  out << "<section class=\"card\" aria-labelledby=\"overview\">\n"
      << "<h2 id=\"overview\">Scenarios</h2>\n<div class=\"wrap\"><table>\n<thead><tr>"
      << "<th scope=\"col\">Scenario</th><th scope=\"col\">Result</th>"
      << "<th scope=\"col\" class=\"num\">Seed</th>"
      << "<th scope=\"col\" class=\"num\">Messages</th>"
      << "<th scope=\"col\" class=\"num\">Sent</th>"
      << "<th scope=\"col\" class=\"num\">Delivered</th>"
      << "<th scope=\"col\" class=\"num\">Failed</th><th scope=\"col\" class=\"num\">Blocked</th>"
      << "<th scope=\"col\" class=\"num\">Expectations</th>"
      << "<th scope=\"col\" class=\"num\">Virtual time</th>";
  if (options.show_timing) {
    out << "<th scope=\"col\" class=\"num\">Wall time</th>";
  }
  out << "</tr></thead>\n<tbody>\n";

  for (std::size_t i = 0; i < run.scenarios.size(); ++i) {
    auto const& s = run.scenarios[i];
    auto const passed = std::count_if(s.expectations.begin(), s.expectations.end(),
                                      [](ExpectationResult const& e) { return e.passed; });
    out << fmt::format(
        "<tr{}><td><a href=\"#scenario-{}\">{}</a></td><td class=\"{}\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{} / {}</td><td class=\"num\">{}</td>",
        s.passed ? "" : " class=\"failed\"", i, h(s.name), s.passed ? "result-pass" : "result-fail",
        s.passed ? "PASS" : "FAIL", s.seed, message_count(s), count_of(s.status_counts, "sent"),
        count_of(s.status_counts, "delivered"), count_of(s.status_counts, "failed"),
        count_of(s.status_counts, "blocked"), passed, s.expectations.size(),
        h(format_duration(s.virtual_end_ms - s.virtual_start_ms)));
    if (options.show_timing) {
      out << fmt::format("<td class=\"num\">{}</td>", h(format_duration(s.wall_ms)));
    }
    out << "</tr>\n";
  }
  out << "</tbody></table></div>\n</section>\n";
}

void write_kpi(std::ostream& out, std::string_view label, std::string const& value,
               std::string const& color) {
  out << fmt::format(
      "<div class=\"kpi\" style=\"--c: {}\"><span class=\"value\">{}</span>"
      "<span class=\"label\">{}</span></div>\n",
      color, h(value), h(label));
}

/// A rate short enough for a tile: "12.5/s", "3.9/min", "0.2/h".
std::string compact_rate(double per_second) {
  if (per_second >= 1.0 || per_second <= 0.0) {
    return fmt::format("{:.1f}/s", per_second);
  }
  if (per_second * 60.0 >= 1.0) {
    return fmt::format("{:.1f}/min", per_second * 60.0);
  }
  return fmt::format("{:.1f}/h", per_second * 3600.0);
}

/// A latency tile: "—" when no message got that far.
std::string latency_value(LatencyStats const& stats) {
  return stats.count == 0 ? std::string("—") : format_duration(stats.p90_ms);
}

void write_kpis(std::ostream& out, ScenarioReport const& s, HtmlOptions const& options) {
  auto const messages = message_count(s);
  out << "<div class=\"kpis\">\n";
  write_kpi(out, "messages", std::to_string(messages), "#4B5563");
  write_kpi(out, "admitted", std::to_string(s.throughput.admitted), status_color("admitted"));
  write_kpi(out, "delivered", std::to_string(count_of(s.status_counts, "delivered")),
            status_color("delivered"));
  write_kpi(out, "failed", std::to_string(count_of(s.status_counts, "failed")),
            status_color("failed"));
  write_kpi(out, "blocked", std::to_string(count_of(s.status_counts, "blocked")),
            status_color("blocked"));
  write_kpi(out, "accepted by a provider", std::to_string(s.throughput.sent), status_color("sent"));
  write_kpi(out, "p90 send → accepted", latency_value(s.latency.send_to_accepted),
            status_color("sent"));
  write_kpi(out, "p90 send → delivered", latency_value(s.latency.send_to_delivered),
            status_color("delivered"));
  auto const rate = virtual_rates(s.throughput).sent;
  if (s.throughput.sent > 0 && !rate) {
    write_kpi(out, "virtual send rate: no virtual time elapsed", "—", status_color("sent"));
  } else {
    write_kpi(out, "virtual send rate", compact_rate(rate.value_or(0)), status_color("sent"));
  }
  write_kpi(out, "virtual time", format_duration(s.virtual_end_ms - s.virtual_start_ms), "#4B5563");
  if (options.show_timing) {
    write_kpi(out, "wall time", format_duration(s.wall_ms), "#9CA3AF");
  }
  out << "</div>\n";
}

void write_expectations(std::ostream& out, ScenarioReport const& s) {
  out << "<h3>Expectations</h3>\n";
  if (s.expectations.empty()) {
    out << "<p class=\"muted\">This scenario has no expectations.</p>\n";
    return;
  }
  out << "<div class=\"wrap\"><table>\n<thead><tr><th scope=\"col\">Step</th>"
      << "<th scope=\"col\">Expectation</th><th scope=\"col\">Result</th>"
      << "<th scope=\"col\">Expected</th><th scope=\"col\">Actual</th>"
      << "<th scope=\"col\">Detail</th></tr></thead>\n<tbody>\n";
  for (auto const& e : s.expectations) {
    out << fmt::format(
        "<tr{}><td class=\"step\">{}</td><td>{}</td><td class=\"{}\">{}</td><td><code>{}</code>"
        "</td><td><code>{}</code></td><td>{}</td></tr>\n",
        e.passed ? "" : " class=\"failed\"", h(step_name(e)), h(e.label),
        e.passed ? "result-pass" : "result-fail", e.passed ? "pass" : "FAIL", h(e.expected),
        h(e.actual), h(e.detail));
  }
  out << "</tbody></table></div>\n";
}

std::string funnel_chart(ScenarioReport const& s, std::string const& id) {
  auto const messages = message_count(s);
  auto const failed = count_of(s.status_counts, "failed");
  auto const blocked = count_of(s.status_counts, "blocked");
  std::vector<detail::Bar> bars{
      {"messages", static_cast<double>(messages), "#4B5563", ""},
      {"admitted", static_cast<double>(s.throughput.admitted), status_color("admitted"),
       percent(s.throughput.admitted, messages)},
      {"sent", static_cast<double>(s.throughput.sent), status_color("sent"),
       percent(s.throughput.sent, messages)},
      {"delivered", static_cast<double>(s.throughput.delivered), status_color("delivered"),
       percent(s.throughput.delivered, messages)},
      {"failed", static_cast<double>(failed), status_color("failed"), percent(failed, messages)},
      {"blocked", static_cast<double>(blocked), status_color("blocked"),
       percent(blocked, messages)},
  };
  auto const description = fmt::format(
      "Of {} messages, {} were admitted by the send policy, {} accepted by a provider, {} "
      "delivered, {} failed and {} blocked.",
      messages, s.throughput.admitted, s.throughput.sent, s.throughput.delivered, failed, blocked);
  return detail::svg_bar_chart({id, "Status funnel", description}, bars);
}

std::string transitions_chart(ScenarioReport const& s, std::string const& id) {
  std::map<std::string, std::int64_t> seen;
  for (auto const& bucket : s.time_series.buckets) {
    for (auto const& [status, count] : bucket.entered) {
      seen[status] += count;
    }
  }

  std::vector<detail::Series> series;
  for (auto const& status : ordered_statuses(seen)) {
    detail::Series one{status, status_color(status), {}};
    for (auto const& bucket : s.time_series.buckets) {
      one.values.push_back(static_cast<double>(count_of(bucket.entered, status)));
    }
    series.push_back(std::move(one));
  }
  auto const description =
      fmt::format("Messages entering each status per {} bucket of virtual time, stacked by status.",
                  format_duration(s.time_series.bucket_ms));
  return detail::svg_stacked_columns({id, "Status entries over virtual time", description},
                                     bucket_labels(s), series, "messages");
}

std::string block_reasons_chart(ScenarioReport const& s, std::string const& id) {
  std::int64_t total = 0;
  for (auto const& [reason, count] : s.block_reason_counts) {
    total += count;
  }

  // Largest first, so the chart reads as a ranking.
  std::vector<std::pair<std::string, std::int64_t>> reasons(s.block_reason_counts.begin(),
                                                            s.block_reason_counts.end());
  std::stable_sort(reasons.begin(), reasons.end(),
                   [](auto const& a, auto const& b) { return a.second > b.second; });
  std::vector<detail::Bar> bars;
  for (auto const& [reason, count] : reasons) {
    bars.push_back(
        {reason, static_cast<double>(count), status_color("blocked"), percent(count, total)});
  }
  auto const description = fmt::format("{} blocked messages by the reason the policy gave.", total);
  return detail::svg_bar_chart({id, "Block reasons", description}, bars);
}

std::string throughput_chart(ScenarioReport const& s, std::string const& id) {
  // Slow scenarios (hours of virtual time) read better per minute than per second.
  std::int64_t busiest = 0;
  for (auto const& bucket : s.time_series.buckets) {
    for (auto const& [status, count] : bucket.entered) {
      busiest = std::max(busiest, count);
    }
  }
  auto const bucket_seconds = static_cast<double>(s.time_series.bucket_ms) / 1000.0;
  auto const per_minute = bucket_seconds > 0 && static_cast<double>(busiest) / bucket_seconds < 1;
  auto const unit_seconds = per_minute ? bucket_seconds / 60.0 : bucket_seconds;

  auto rate_series = [&](std::string const& status, std::string const& name) {
    detail::Series one{name, status_color(status == "queued" ? "admitted" : status), {}};
    for (auto const& bucket : s.time_series.buckets) {
      auto const count = static_cast<double>(count_of(bucket.entered, status));
      one.values.push_back(unit_seconds > 0 ? count / unit_seconds : 0);
    }
    return one;
  };

  std::vector<detail::Series> series;
  auto admitted = rate_series("queued", "admitted");
  if (std::any_of(admitted.values.begin(), admitted.values.end(), [](double v) { return v > 0; })) {
    series.push_back(std::move(admitted));
  }
  series.push_back(rate_series("sent", "sent"));
  series.push_back(rate_series("delivered", "delivered"));

  auto const description = fmt::format(
      "Messages per virtual {} entering admitted, sent and delivered, per {} bucket. Overall: "
      "{} sent and {} delivered.",
      per_minute ? "minute" : "second", format_duration(s.time_series.bucket_ms), s.throughput.sent,
      s.throughput.delivered);
  return detail::svg_line_chart({id, "Throughput over virtual time", description}, bucket_labels(s),
                                series, per_minute ? "messages per minute" : "messages per second");
}

void write_charts(std::ostream& out, ScenarioReport const& s, std::size_t index) {
  auto const prefix = fmt::format("scenario-{}-", index);
  out << "<h3>Charts</h3>\n<div class=\"charts\">\n";
  auto figure = [&](std::string_view caption, std::string const& svg) {
    out << "<figure>\n<figcaption>" << h(caption) << "</figcaption>\n" << svg << "</figure>\n";
  };
  figure("Status funnel", funnel_chart(s, prefix + "funnel"));
  figure("Status entries over virtual time", transitions_chart(s, prefix + "transitions"));
  figure("Block reasons", block_reasons_chart(s, prefix + "blocks"));
  figure("Throughput over virtual time", throughput_chart(s, prefix + "throughput"));
  out << "</div>\n";
}

void write_transition_matrix(std::ostream& out, ScenarioReport const& s) {
  out << "<h3>Status transitions</h3>\n";
  if (s.transitions.empty()) {
    out << "<p class=\"muted\">No transitions recorded.</p>\n";
    return;
  }

  std::map<std::string, std::int64_t> from_names;
  std::map<std::string, std::int64_t> to_names;
  std::map<std::pair<std::string, std::string>, std::int64_t> cells;
  for (auto const& t : s.transitions) {
    from_names[t.from] += t.count;
    to_names[t.to] += t.count;
    cells[{t.from, t.to}] += t.count;
  }

  // The start state first, then statuses in life order.
  std::vector<std::string> rows;
  if (from_names.count(std::string(kStartState)) != 0) {
    rows.emplace_back(kStartState);
    from_names.erase(std::string(kStartState));
  }
  for (auto const& name : ordered_statuses(from_names)) {
    rows.push_back(name);
  }
  auto const columns = ordered_statuses(to_names);

  out << "<div class=\"wrap\"><table>\n<thead><tr><th scope=\"col\">from \\ to</th>";
  for (auto const& column : columns) {
    out << "<th scope=\"col\" class=\"num\">" << status_chip(column) << "</th>";
  }
  out << "</tr></thead>\n<tbody>\n";
  for (auto const& row : rows) {
    out << "<tr><th scope=\"row\">" << status_chip(row) << "</th>";
    for (auto const& column : columns) {
      auto const it = cells.find({row, column});
      out << "<td class=\"num\">"
          << (it == cells.end() ? std::string("<span class=\"muted\">·</span>")
                                : std::to_string(it->second))
          << "</td>";
    }
    out << "</tr>\n";
  }
  out << "</tbody></table></div>\n";
}

void write_latency(std::ostream& out, ScenarioReport const& s) {
  out << "<h3>Latency (virtual time)</h3>\n<div class=\"wrap\"><table>\n<thead><tr>"
      << "<th scope=\"col\">Interval</th><th scope=\"col\" class=\"num\">Messages</th>"
      << "<th scope=\"col\" class=\"num\">p50</th><th scope=\"col\" class=\"num\">p90</th>"
      << "<th scope=\"col\" class=\"num\">p99</th><th scope=\"col\" class=\"num\">max</th>"
      << "</tr></thead>\n<tbody>\n";
  auto row = [&](std::string_view name, LatencyStats const& stats) {
    out << fmt::format(
        "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
        h(name), stats.count, h(format_duration(stats.p50_ms)), h(format_duration(stats.p90_ms)),
        h(format_duration(stats.p99_ms)), h(format_duration(stats.max_ms)));
  };
  row("send → accepted", s.latency.send_to_accepted);
  row("send → delivered", s.latency.send_to_delivered);
  out << "</tbody></table></div>\n";
}

void write_providers(std::ostream& out, ScenarioReport const& s) {
  out << "<h3>Provider errors</h3>\n";
  if (s.provider_errors.empty()) {
    out << "<p class=\"muted\">No provider reported an error code.</p>\n";
  } else {
    out << "<div class=\"wrap\"><table>\n<thead><tr><th scope=\"col\">Provider</th>"
        << "<th scope=\"col\">Code</th><th scope=\"col\" class=\"num\">Messages</th>"
        << "<th scope=\"col\">Example message</th></tr></thead>\n<tbody>\n";
    for (auto const& e : s.provider_errors) {
      out << fmt::format(
          "<tr><td>{}</td><td><code>{}</code></td><td class=\"num\">{}</td>"
          "<td><code>{}</code></td></tr>\n",
          h(e.provider), h(e.code), e.count, h(e.example_message_id));
    }
    out << "</tbody></table></div>\n";
  }

  out << "<h3>Requests received by the fake providers</h3>\n";
  if (s.provider_requests.empty()) {
    out << "<p class=\"muted\">No provider requests recorded.</p>\n";
    return;
  }
  out << "<div class=\"wrap\"><table>\n<thead><tr><th scope=\"col\">Provider</th>"
      << "<th scope=\"col\" class=\"num\">Requests</th></tr></thead>\n<tbody>\n";
  for (auto const& [provider, count] : s.provider_requests) {
    out << fmt::format("<tr><td>{}</td><td class=\"num\">{}</td></tr>\n", h(provider), count);
  }
  out << "</tbody></table></div>\n";
}

void write_timelines(std::ostream& out, ScenarioReport const& s, HtmlOptions const& options) {
  auto const shown = std::min(options.max_timelines, s.timelines.size());
  auto const span = s.virtual_end_ms - s.virtual_start_ms;
  out << fmt::format("<details>\n<summary>Message timelines ({} of {} shown)</summary>\n", shown,
                     s.timelines.size());
  if (shown == 0) {
    out << "<p class=\"muted\">No timelines recorded.</p>\n</details>\n";
    return;
  }

  out << "<div class=\"wrap\"><table>\n<thead><tr><th scope=\"col\">Message</th>"
      << "<th scope=\"col\">Candidate</th><th scope=\"col\">Channel</th>"
      << "<th scope=\"col\">Provider</th><th scope=\"col\">Final status</th>"
      << "<th scope=\"col\">Block reason</th><th scope=\"col\">Events</th></tr></thead>\n<tbody>\n";
  for (std::size_t i = 0; i < shown; ++i) {
    auto const& t = s.timelines[i];
    out << fmt::format(
        "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td><ol class=\"events\">",
        h(t.message_id), h(t.candidate), h(t.channel), h(t.provider), status_chip(t.final_status),
        h(t.block_reason));
    for (auto const& event : t.events) {
      out << "<li>" << h(offset_label(event.virtual_ms - s.virtual_start_ms, span)) << " · ";
      if (!event.raw_status.empty()) {
        out << "<code>" << h(event.raw_status) << "</code> → ";
      }
      out << status_chip(event.status);
      if (!event.error_code.empty()) {
        out << " · error <code>" << h(event.error_code) << "</code>";
      }
      out << "</li>";
    }
    out << "</ol></td></tr>\n";
  }
  out << "</tbody></table></div>\n</details>\n";
}

void write_scenario(std::ostream& out, ScenarioReport const& s, std::size_t index,
                    HtmlOptions const& options) {
  out << fmt::format(
      "<section class=\"card\" id=\"scenario-{0}\" aria-labelledby=\"scenario-{0}-name\">\n"
      "<h2 id=\"scenario-{0}-name\">{1} {2}</h2>\n",
      index, h(s.name), badge(s.passed));

  auto meta =
      fmt::format("seed {} · virtual {} → {}", s.seed, h(format_iso8601(s.virtual_start_ms)),
                  h(format_iso8601(s.virtual_end_ms)));
  if (!s.file.empty()) {
    meta = fmt::format("<code>{}</code> · {}", h(s.file), meta);
  }
  out << "<p class=\"meta\">" << meta << "</p>\n";
  if (!s.description.empty()) {
    out << "<p>" << h(s.description) << "</p>\n";
  }
  if (!s.error.empty()) {
    out << "<div class=\"error\" role=\"alert\"><strong>"
        << (s.error_kind == kInputError ? "Unusable input:" : "Scenario error:") << "</strong> "
        << h(s.error) << "</div>\n";
  }

  write_kpis(out, s, options);
  write_expectations(out, s);
  write_charts(out, s, index);
  write_transition_matrix(out, s);
  write_latency(out, s);
  write_providers(out, s);
  write_timelines(out, s, options);
  out << "</section>\n";
}

}  // namespace

void write_html(std::ostream& out, RunReport const& run, HtmlOptions const& options) {
  write_head(out, run, options);
  write_run_header(out, run, options);
  out << "<main>\n";
  write_overview(out, run, options);
  for (std::size_t i = 0; i < run.scenarios.size(); ++i) {
    write_scenario(out, run.scenarios[i], i, options);
  }
  out << "</main>\n";
  out << fmt::format(
      "<footer>Generated by candor {}. Times are virtual unless marked wall.</footer>\n",
      h(run.tool_version));
  out << "</body>\n</html>\n";
}

}  // namespace candor::reports
