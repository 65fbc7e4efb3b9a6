#include "reports/report.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <set>
#include <utility>

#include <fmt/format.h>

namespace candor::reports {
namespace {

constexpr std::array<std::string_view, 6> kStatusOrder{"queued", "sent",     "delivered",
                                                       "failed", "received", "blocked"};

bool iequals(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

/// The status a timeline ends in: its final_status, else its last event's.
std::string_view effective_final(MessageTimeline const& timeline) {
  if (!timeline.final_status.empty()) {
    return timeline.final_status;
  }
  for (auto it = timeline.events.rbegin(); it != timeline.events.rend(); ++it) {
    if (!it->status.empty()) {
      return it->status;
    }
  }
  return {};
}

/// Calls `fn(time_ms, to)` for each status change of `timeline`, in order. A
/// timeline without events (a message blocked before any history was kept) gets
/// one change to its final status.
template <class Fn>
void for_each_change(MessageTimeline const& timeline, Fn&& fn) {
  if (timeline.events.empty()) {
    if (!timeline.final_status.empty()) {
      fn(std::string_view(kStartState), std::int64_t{-1}, std::string_view(timeline.final_status));
    }
    return;
  }

  std::string_view previous = kStartState;
  for (auto const& event : timeline.events) {
    if (event.status.empty() || event.status == previous) {
      continue;
    }
    fn(previous, event.virtual_ms, std::string_view(event.status));
    previous = event.status;
  }
}

bool has_status(MessageTimeline const& timeline, std::string_view status) {
  return std::any_of(timeline.events.begin(), timeline.events.end(),
                     [&](TimelineEvent const& e) { return iequals(e.status, status); });
}

/// Smallest round width that covers `span_ms` in at most `max_buckets` buckets.
std::int64_t pick_bucket_width(std::int64_t span_ms, int max_buckets) {
  constexpr std::array<std::int64_t, 27> kWidths{
      1,         2,         5,          10,         20,         50,        100,
      200,       500,       1'000,      2'000,      5'000,      10'000,    15'000,
      30'000,    60'000,    120'000,    300'000,    600'000,    900'000,   1'800'000,
      3'600'000, 7'200'000, 10'800'000, 21'600'000, 43'200'000, 86'400'000};
  auto const limit = std::max(1, max_buckets);
  for (auto width : kWidths) {
    if (span_ms / width < limit) {  // buckets = span / width + 1, without overflow at INT64_MAX
      return width;
    }
  }

  // Longer than max_buckets days: whole days.
  auto const day = kWidths.back();
  auto const days = (span_ms / day) / limit + 1;
  return days * day;
}

std::string trim_decimal(double value) {
  auto text = fmt::format("{:.1f}", value);
  if (text.size() > 2 && text.compare(text.size() - 2, 2, ".0") == 0) {
    text.resize(text.size() - 2);
  }
  return text;
}

}  // namespace

std::vector<Transition> compute_transitions(std::vector<MessageTimeline> const& timelines) {
  std::map<std::pair<std::string, std::string>, std::int64_t> counts;
  for (auto const& timeline : timelines) {
    for_each_change(timeline, [&](std::string_view from, std::int64_t, std::string_view to) {
      ++counts[{std::string(from), std::string(to)}];
    });
  }

  std::vector<Transition> out;
  out.reserve(counts.size());
  for (auto const& [key, count] : counts) {
    out.push_back(Transition{.from = key.first, .to = key.second, .count = count});
  }
  return out;
}

LatencyStats compute_latency_stats(std::vector<std::int64_t> samples_ms) {
  if (samples_ms.empty()) {
    return {};
  }
  std::sort(samples_ms.begin(), samples_ms.end());

  // Nearest rank: the smallest sample with at least p% of samples at or below it.
  auto const n = samples_ms.size();
  auto rank = [&](int percent) {
    auto const r = (static_cast<std::size_t>(percent) * n + 99) / 100;
    return samples_ms[std::max<std::size_t>(r, 1) - 1];
  };
  return LatencyStats{.count = static_cast<std::int64_t>(n),
                      .p50_ms = rank(50),
                      .p90_ms = rank(90),
                      .p99_ms = rank(99),
                      .max_ms = samples_ms.back()};
}

Latency compute_latency(std::vector<MessageTimeline> const& timelines) {
  std::vector<std::int64_t> accepted;
  std::vector<std::int64_t> delivered;
  for (auto const& timeline : timelines) {
    if (timeline.events.empty()) {
      continue;
    }
    auto const start = timeline.events.front().virtual_ms;

    // A provider that reports delivery without a separate acceptance still
    // accepted the message at that moment.
    bool seen_accepted = false;
    for (auto const& event : timeline.events) {
      auto const is_delivered = iequals(event.status, "delivered");
      if (!seen_accepted && (iequals(event.status, "sent") || is_delivered)) {
        accepted.push_back(event.virtual_ms - start);
        seen_accepted = true;
      }
      if (is_delivered) {
        delivered.push_back(event.virtual_ms - start);
        break;
      }
    }
  }
  return Latency{.send_to_accepted = compute_latency_stats(std::move(accepted)),
                 .send_to_delivered = compute_latency_stats(std::move(delivered))};
}

TimeSeries compute_time_series(std::vector<MessageTimeline> const& timelines, std::int64_t start_ms,
                               std::int64_t end_ms, DeriveOptions const& options) {
  // A range of 0..0 means the caller knows none: the events alone set it.
  bool const range_given = start_ms != 0 || end_ms != 0;
  bool any_event = false;
  for (auto const& timeline : timelines) {
    for (auto const& event : timeline.events) {
      auto const first = !range_given && !any_event;
      start_ms = first ? event.virtual_ms : std::min(start_ms, event.virtual_ms);
      end_ms = first ? event.virtual_ms : std::max(end_ms, event.virtual_ms);
      any_event = true;
    }
  }
  if (!any_event) {
    return {};
  }

  // Differences in unsigned arithmetic, capped at INT64_MAX: times far apart (an
  // extreme or corrupt clock) overflowed int64, and the bucket index then ran past
  // the end of the buckets. Every event lies in [start_ms, end_ms] by now.
  auto const distance = [](std::int64_t from, std::int64_t to) {
    return std::min(static_cast<std::uint64_t>(to) - static_cast<std::uint64_t>(from),
                    static_cast<std::uint64_t>(INT64_MAX));
  };
  auto const span = end_ms > start_ms ? static_cast<std::int64_t>(distance(start_ms, end_ms)) : 0;
  auto const width =
      options.bucket_ms > 0 ? options.bucket_ms : pick_bucket_width(span, options.max_buckets);
  TimeSeries series{.bucket_ms = width, .buckets = {}};
  auto const count = static_cast<std::size_t>(span / width + 1);
  series.buckets.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    series.buckets[i].start_ms = start_ms + static_cast<std::int64_t>(i) * width;
  }

  for (auto const& timeline : timelines) {
    for_each_change(timeline, [&](std::string_view, std::int64_t at, std::string_view to) {
      if (at < 0) {
        return;  // no event time: nothing to place on the time axis
      }
      auto const index =
          std::min(distance(start_ms, at) / static_cast<std::uint64_t>(width), count - 1);
      ++series.buckets[index].entered[std::string(to)];
    });
  }
  return series;
}

std::map<std::string, std::int64_t> compute_status_counts(
    std::vector<MessageTimeline> const& timelines) {
  std::map<std::string, std::int64_t> counts;
  for (auto const& timeline : timelines) {
    auto const status = effective_final(timeline);
    ++counts[status.empty() ? std::string("unknown") : std::string(status)];
  }
  return counts;
}

std::map<std::string, std::int64_t> compute_block_reason_counts(
    std::vector<MessageTimeline> const& timelines) {
  std::map<std::string, std::int64_t> counts;
  for (auto const& timeline : timelines) {
    if (!iequals(effective_final(timeline), "blocked")) {
      continue;
    }
    ++counts[timeline.block_reason.empty() ? std::string("unknown") : timeline.block_reason];
  }
  return counts;
}

std::vector<ProviderError> compute_provider_errors(std::vector<MessageTimeline> const& timelines) {
  std::map<std::pair<std::string, std::string>, ProviderError> errors;
  for (auto const& timeline : timelines) {
    std::set<std::string_view> codes;
    for (auto const& event : timeline.events) {
      if (!event.error_code.empty()) {
        codes.insert(event.error_code);
      }
    }

    for (auto code : codes) {
      auto& entry = errors[{timeline.provider, std::string(code)}];
      if (entry.count == 0) {
        entry.provider = timeline.provider;
        entry.code = std::string(code);
        entry.example_message_id = timeline.message_id;
      }
      ++entry.count;
    }
  }

  std::vector<ProviderError> out;
  out.reserve(errors.size());
  for (auto& [key, error] : errors) {
    out.push_back(std::move(error));
  }
  return out;
}

Throughput compute_throughput(std::vector<MessageTimeline> const& timelines) {
  Throughput throughput;
  auto widen = [](std::optional<std::int64_t>& last, std::int64_t at) {
    last = last ? std::max(*last, at) : at;
  };
  for (auto const& timeline : timelines) {
    auto const final_status = effective_final(timeline);
    if (final_status.empty() || iequals(final_status, "blocked") ||
        iequals(final_status, "received")) {
      continue;
    }
    ++throughput.admitted;

    auto const delivered = has_status(timeline, "delivered");
    if (delivered || has_status(timeline, "sent")) {
      ++throughput.sent;
    }
    if (delivered) {
      ++throughput.delivered;
    }
    if (timeline.events.empty()) {
      continue;
    }

    // The first event is the admission; a provider that reports delivery
    // without a separate acceptance accepted the message at that moment.
    auto const admitted_at = timeline.events.front().virtual_ms;
    throughput.first_admitted_ms = throughput.first_admitted_ms
                                       ? std::min(*throughput.first_admitted_ms, admitted_at)
                                       : admitted_at;
    widen(throughput.last_admitted_ms, admitted_at);
    bool seen_sent = false;
    for (auto const& event : timeline.events) {
      auto const is_delivered = iequals(event.status, "delivered");
      if (!seen_sent && (is_delivered || iequals(event.status, "sent"))) {
        widen(throughput.last_sent_ms, event.virtual_ms);
        seen_sent = true;
      }
      if (is_delivered) {
        widen(throughput.last_delivered_ms, event.virtual_ms);
        break;
      }
    }
  }
  return throughput;
}

std::optional<double> rate_over(std::int64_t count, std::optional<std::int64_t> window_ms) {
  if (count == 0) {
    return 0.0;
  }
  if (!window_ms || *window_ms <= 0) {
    return std::nullopt;
  }
  // Rounded to a thousandth so that the JSON shows short, stable numbers.
  auto const seconds = static_cast<double>(*window_ms) / 1000.0;
  return std::round(static_cast<double>(count) / seconds * 1000.0) / 1000.0;
}

VirtualRates virtual_rates(Throughput const& throughput) {
  auto window = [&](std::optional<std::int64_t> last) -> std::optional<std::int64_t> {
    if (!last || !throughput.first_admitted_ms) {
      return std::nullopt;
    }
    return *last - *throughput.first_admitted_ms;
  };
  return VirtualRates{
      .admitted = rate_over(throughput.admitted, window(throughput.last_admitted_ms)),
      .sent = rate_over(throughput.sent, window(throughput.last_sent_ms)),
      .delivered = rate_over(throughput.delivered, window(throughput.last_delivered_ms))};
}

void derive_from_timelines(ScenarioReport& scenario, DeriveOptions const& options) {
  auto const& timelines = scenario.timelines;
  scenario.transitions = compute_transitions(timelines);
  scenario.latency = compute_latency(timelines);
  scenario.time_series = compute_time_series(timelines, 0, 0, options);
  scenario.throughput = compute_throughput(timelines);

  if (scenario.status_counts.empty()) {
    scenario.status_counts = compute_status_counts(timelines);
  }
  if (scenario.block_reason_counts.empty()) {
    scenario.block_reason_counts = compute_block_reason_counts(timelines);
  }
  if (scenario.provider_errors.empty()) {
    scenario.provider_errors = compute_provider_errors(timelines);
  }
}

Rates rates_per_second(Throughput const& throughput, std::int64_t duration_ms) {
  if (duration_ms <= 0) {
    return {};
  }

  // Rounded to a thousandth so that the JSON shows short, stable numbers.
  auto const seconds = static_cast<double>(duration_ms) / 1000.0;
  auto rate = [&](std::int64_t count) {
    return std::round(static_cast<double>(count) / seconds * 1000.0) / 1000.0;
  };
  return Rates{.admitted = rate(throughput.admitted),
               .sent = rate(throughput.sent),
               .delivered = rate(throughput.delivered)};
}

std::int64_t message_count(ScenarioReport const& scenario) {
  std::int64_t total = 0;
  for (auto const& [status, count] : scenario.status_counts) {
    total += count;
  }
  return total;
}

std::vector<std::string> ordered_statuses(std::map<std::string, std::int64_t> const& counts) {
  std::vector<std::string> out;
  for (auto known : kStatusOrder) {
    for (auto const& [name, count] : counts) {
      if (iequals(name, known)) {
        out.push_back(name);
      }
    }
  }
  for (auto const& entry : counts) {
    // A named reference, not a structured binding: clang 14 cannot capture those.
    auto const& name = entry.first;
    auto const is_known = std::any_of(kStatusOrder.begin(), kStatusOrder.end(),
                                      [&](std::string_view known) { return iequals(name, known); });
    if (!is_known) {
      out.push_back(name);
    }
  }
  return out;
}

bool run_passed(RunReport const& run) {
  return !run.scenarios.empty() && std::all_of(run.scenarios.begin(), run.scenarios.end(),
                                               [](ScenarioReport const& s) { return s.passed; });
}

bool run_had_input_error(RunReport const& run) {
  return std::any_of(run.scenarios.begin(), run.scenarios.end(),
                     [](ScenarioReport const& s) { return s.error_kind == kInputError; });
}

std::string step_name(ExpectationResult const& expectation) {
  if (expectation.step_label.empty()) {
    return fmt::format("step {}", expectation.step_index);
  }
  return fmt::format("step {} ({})", expectation.step_index, expectation.step_label);
}

std::vector<std::string> expectation_names(ScenarioReport const& scenario) {
  std::vector<std::string> names;
  std::map<std::string, int> seen;
  for (auto const& e : scenario.expectations) {
    auto name = fmt::format("{}: {}", step_name(e), e.label);
    // Two checks of one step can still read alike (the same history twice).
    auto const repeat = ++seen[name];
    if (repeat > 1) {
      name += fmt::format(" #{}", repeat);
    }
    names.push_back(std::move(name));
  }
  return names;
}

void strip_timing(RunReport& run) {
  run.started_at.clear();
  run.wall_ms = 0;
  for (auto& scenario : run.scenarios) {
    scenario.wall_ms = 0;
  }
}

std::string format_iso8601(std::int64_t unix_ms) {
  using namespace std::chrono;
  // Clamped to years 0000-9999: floor<days> overflowed int64 near its limits.
  constexpr std::int64_t kFirstMs = -62'167'219'200'000;  // 0000-01-01T00:00:00Z
  constexpr std::int64_t kLastMs = 253'402'300'799'999;   // 9999-12-31T23:59:59.999Z
  auto const point = sys_time<milliseconds>(milliseconds(std::clamp(unix_ms, kFirstMs, kLastMs)));
  auto const day = floor<days>(point);
  auto const date = year_month_day(day);
  auto const time = hh_mm_ss<milliseconds>(point - day);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     time.hours().count(), time.minutes().count(), time.seconds().count(),
                     time.subseconds().count());
}

std::string format_rate(double per_second) {
  if (per_second >= 1.0 || per_second <= 0.0) {
    return fmt::format("{:.1f} per second", per_second);
  }
  if (per_second * 60.0 >= 1.0) {
    return fmt::format("{:.1f} per minute", per_second * 60.0);
  }
  return fmt::format("{:.1f} per hour", per_second * 3600.0);
}

std::string format_duration(std::int64_t ms) {
  if (ms < 0) {
    // Negate in unsigned arithmetic: -INT64_MIN does not fit, and recursing on it
    // never ended. That one value is shown as -INT64_MAX, a millisecond short.
    auto const magnitude = std::min(std::uint64_t{0} - static_cast<std::uint64_t>(ms),
                                    static_cast<std::uint64_t>(INT64_MAX));
    return fmt::format("-{}", format_duration(static_cast<std::int64_t>(magnitude)));
  }
  if (ms < 1'000) {
    return fmt::format("{} ms", ms);
  }
  if (ms < 60'000) {
    return trim_decimal(static_cast<double>(ms) / 1000.0) + " s";
  }

  // Two units at most, the smaller one left out when it is zero: "10 min", "2 h 5 min".
  auto const seconds = ms / 1'000;
  auto two_units = [](std::int64_t big, std::string_view big_unit, std::int64_t small,
                      std::string_view small_unit) {
    return small == 0 ? fmt::format("{} {}", big, big_unit)
                      : fmt::format("{} {} {} {}", big, big_unit, small, small_unit);
  };
  if (seconds < 3'600) {
    return two_units(seconds / 60, "min", seconds % 60, "s");
  }
  if (seconds < 86'400) {
    return two_units(seconds / 3'600, "h", (seconds % 3'600) / 60, "min");
  }
  return two_units(seconds / 86'400, "d", (seconds % 86'400) / 3'600, "h");
}

}  // namespace candor::reports
