#pragma once

// The report model: what one run of scenarios produced, in plain strings and
// integers so that this folder depends on nothing else in the project.
//
// The scenario runner fills the facts it knows (expectations, message timelines,
// counts, provider request totals); derive_from_timelines() computes the rest
// (transition matrix, latency percentiles, time series, throughput counts). The
// writers (console, JSON, JUnit XML, HTML) only read the model.
//
// Timing fields: everything measured on the wall clock (RunReport::started_at,
// RunReport::wall_ms, ScenarioReport::wall_ms) varies between two runs of the same
// scenario and seed; everything else must not. strip_timing() zeroes those fields
// so that two reports can be compared byte for byte.
//
// Status and block reason names are the stable lower-case names of the domain
// ("queued", "sent", "delivered", "failed", "received", "blocked";
// "country_not_allowed", ...). Helpers compare them ignoring case.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace candor::reports {

/// The outcome of one `expect` step of a scenario.
struct ExpectationResult {
  /// Index of the step in the scenario's step list, from 0.
  int step_index = 0;
  /// What the step checks, as written in the scenario ("blocked count").
  std::string label;
  bool passed = false;
  /// The expected and the observed value, rendered as text ("25", "delivered").
  std::string expected;
  std::string actual;
  /// Free text: the rule that failed, the message ids involved, ...
  std::string detail;
  /// The step's `label:` in the scenario; empty when it has none. Last, so that
  /// positional initialisers written before it keep their meaning.
  std::string step_label;
};

/// A number of messages that moved from one shown status to another.
struct Transition {
  /// kStartState for the first status a message gets.
  std::string from;
  std::string to;
  std::int64_t count = 0;

  friend bool operator==(Transition const&, Transition const&) = default;
};

/// The pseudo status a message has before its first event.
inline constexpr std::string_view kStartState = "new";

/// One entry of a message's history: a raw provider status or a policy decision.
struct TimelineEvent {
  /// Virtual time, milliseconds since the Unix epoch on the scenario's clock.
  std::int64_t virtual_ms = 0;
  /// The provider's raw value ("accepted", "DELIVERED"); empty for core events.
  std::string raw_status;
  /// The shown status after this event ("sent").
  std::string status;
  /// Provider error code when the event carries one ("30003").
  std::string error_code;
};

/// Everything that happened to one message, oldest event first.
struct MessageTimeline {
  std::string message_id;
  /// Candidate number ("CAND-000123").
  std::string candidate;
  /// "sms" or "email".
  std::string channel;
  /// Configured provider name; empty for a blocked message.
  std::string provider;
  std::string final_status;
  /// Empty unless final_status is "blocked".
  std::string block_reason;
  std::vector<TimelineEvent> events;
};

/// How often a provider reported one error code.
struct ProviderError {
  std::string provider;
  std::string code;
  /// Number of messages that received the code (a code repeated on one message
  /// counts once).
  std::int64_t count = 0;
  /// The id of the first such message, to look it up in the timelines.
  std::string example_message_id;

  friend bool operator==(ProviderError const&, ProviderError const&) = default;
};

/// Message counts behind the throughput figures, and the virtual times that
/// bound the messages' own activity. Rates are derived by virtual_rates() (over
/// that activity) and rates_per_second() (over a wall-clock duration).
struct Throughput {
  /// Outbound messages that passed the send policy (not blocked).
  std::int64_t admitted = 0;
  /// Messages a provider accepted (reached "sent", or "delivered" directly).
  std::int64_t sent = 0;
  std::int64_t delivered = 0;
  /// Virtual Unix ms of the first admission, and of the last admission, the
  /// last first-"sent" and the last first-"delivered" event of any message;
  /// nullopt when no message got there.
  std::optional<std::int64_t> first_admitted_ms;
  std::optional<std::int64_t> last_admitted_ms;
  std::optional<std::int64_t> last_sent_ms;
  std::optional<std::int64_t> last_delivered_ms;
};

/// Per-second rates of the three Throughput counts.
struct Rates {
  double admitted = 0;
  double sent = 0;
  double delivered = 0;
};

/// Per-second rates over virtual time. nullopt when the count is above 0 but
/// no virtual time elapsed between the first admission and the last event that
/// counts (everything happened at one instant: the rate has no value).
struct VirtualRates {
  std::optional<double> admitted;
  std::optional<double> sent;
  std::optional<double> delivered;
};

/// Percentiles of one latency, in virtual milliseconds (nearest-rank method).
struct LatencyStats {
  /// Number of samples; the other fields are 0 when it is 0.
  std::int64_t count = 0;
  std::int64_t p50_ms = 0;
  std::int64_t p90_ms = 0;
  std::int64_t p99_ms = 0;
  std::int64_t max_ms = 0;

  friend bool operator==(LatencyStats const&, LatencyStats const&) = default;
};

/// Latencies measured from a message's first event (admission).
struct Latency {
  /// Until the first "sent" event: the provider accepted the message.
  LatencyStats send_to_accepted;
  /// Until the first "delivered" event.
  LatencyStats send_to_delivered;
};

/// The events of one time bucket: how many messages entered each status.
struct TimeBucket {
  /// Virtual time of the bucket's start, Unix milliseconds.
  std::int64_t start_ms = 0;
  /// Status name -> number of messages that entered it during the bucket.
  std::map<std::string, std::int64_t> entered;
};

/// Status entries over virtual time, in buckets of equal width.
struct TimeSeries {
  /// Bucket width in virtual milliseconds; 0 when there are no buckets.
  std::int64_t bucket_ms = 0;
  std::vector<TimeBucket> buckets;
};

/// The results of one scenario.
struct ScenarioReport {
  std::string name;
  /// The YAML file, as given on the command line.
  std::string file;
  std::string description;
  /// True when every expectation passed and the scenario ran to its end.
  bool passed = false;
  /// Set when the scenario could not run (load error, crash of a fake); the
  /// message names the place. Such a scenario has passed == false.
  std::string error;
  /// Why: kInputError when the scenario's own content is unusable (the command
  /// line exits 2), kRunError when the run broke; empty without an error.
  std::string error_kind;
  std::uint64_t seed = 0;

  /// Virtual clock at the scenario's start and end, Unix milliseconds.
  std::int64_t virtual_start_ms = 0;
  std::int64_t virtual_end_ms = 0;
  /// Timing field: wall-clock milliseconds the scenario took.
  std::int64_t wall_ms = 0;

  std::vector<ExpectationResult> expectations;

  /// Final status name -> number of messages.
  std::map<std::string, std::int64_t> status_counts;
  /// Block reason name -> number of blocked messages.
  std::map<std::string, std::int64_t> block_reason_counts;
  /// Fake provider name -> number of HTTP/SMTP requests it received.
  std::map<std::string, std::int64_t> provider_requests;

  std::vector<MessageTimeline> timelines;

  // Derived from the timelines by derive_from_timelines().
  std::vector<Transition> transitions;
  std::vector<ProviderError> provider_errors;
  Throughput throughput;
  Latency latency;
  TimeSeries time_series;
};

/// One run of the candor command: one or more scenarios.
struct RunReport {
  std::string tool_version;
  /// Timing field: wall-clock start of the run, ISO 8601 UTC.
  std::string started_at;
  /// Timing field: wall-clock milliseconds of the whole run.
  std::int64_t wall_ms = 0;
  /// The seed that replaced every scenario's own (--seed); nullopt when each
  /// scenario ran with its own (ScenarioReport::seed).
  std::optional<std::uint64_t> seed;
  std::vector<ScenarioReport> scenarios;
};

/// Values of ScenarioReport::error_kind.
inline constexpr std::string_view kInputError = "input";
inline constexpr std::string_view kRunError = "run";

/// Options of derive_from_timelines().
struct DeriveOptions {
  /// Width of the time-series buckets in virtual milliseconds; 0 picks a round
  /// width that gives at most `max_buckets` buckets over the scenario.
  std::int64_t bucket_ms = 0;
  /// Upper bound on the number of buckets when bucket_ms is 0.
  int max_buckets = 24;
};

/// Counts transitions between consecutive distinct statuses of each timeline,
/// starting from kStartState. Events that keep the status (a repeated callback,
/// a raw status that changes nothing) are not transitions. Sorted by (from, to).
std::vector<Transition> compute_transitions(std::vector<MessageTimeline> const& timelines);

/// Nearest-rank percentiles of `samples_ms` (any order; copied and sorted).
LatencyStats compute_latency_stats(std::vector<std::int64_t> samples_ms);

/// Send -> accepted and send -> delivered latencies over the timelines.
Latency compute_latency(std::vector<MessageTimeline> const& timelines);

/// Buckets status entries between `start_ms` and `end_ms` (both virtual Unix
/// ms). Events outside the range widen it; 0..0 means "from the events", which
/// is what derive_from_timelines() uses: buckets sized to the span of the
/// events show the shape of the traffic whatever else the scenario waited for.
/// See DeriveOptions for the width.
TimeSeries compute_time_series(std::vector<MessageTimeline> const& timelines, std::int64_t start_ms,
                               std::int64_t end_ms, DeriveOptions const& options = {});

/// Messages per final status, and per block reason for blocked ones.
std::map<std::string, std::int64_t> compute_status_counts(
    std::vector<MessageTimeline> const& timelines);
std::map<std::string, std::int64_t> compute_block_reason_counts(
    std::vector<MessageTimeline> const& timelines);

/// Error codes seen in the timelines, per (provider, code), sorted.
std::vector<ProviderError> compute_provider_errors(std::vector<MessageTimeline> const& timelines);

/// Admitted, sent and delivered message counts over the timelines, and the
/// window of their activity.
Throughput compute_throughput(std::vector<MessageTimeline> const& timelines);

/// Rates over the messages' own virtual activity: each count divided by the
/// virtual time from the first admission to the last event it counts (the last
/// admission, the last message reaching sent, the last reaching delivered).
/// A count of 0 gives 0.
VirtualRates virtual_rates(Throughput const& throughput);

/// `count` per second over `window_ms`: 0 when count is 0, nullopt when the
/// window is not positive.
std::optional<double> rate_over(std::int64_t count, std::optional<std::int64_t> window_ms);

/// Fills the derived fields of `scenario` from its timelines: transitions,
/// latency, time series and throughput are always recomputed; status counts,
/// block reason counts and provider errors only when the runner left them empty
/// (it may know counts for messages it kept no timeline of).
void derive_from_timelines(ScenarioReport& scenario, DeriveOptions const& options = {});

/// Rates per second of `throughput` over `duration_ms`; all 0 when it is <= 0.
Rates rates_per_second(Throughput const& throughput, std::int64_t duration_ms);

/// Number of messages in the scenario: the sum of its status counts.
std::int64_t message_count(ScenarioReport const& scenario);

/// Status names of `counts` in display order: the domain's statuses in life
/// order (queued, sent, delivered, failed, received, blocked), then any other
/// name alphabetically.
std::vector<std::string> ordered_statuses(std::map<std::string, std::int64_t> const& counts);

/// True when every scenario passed (and there is at least one).
bool run_passed(RunReport const& run);

/// True when some scenario's error is kInputError.
bool run_had_input_error(RunReport const& run);

/// A name for one expectation that is unique within its scenario: "step 3
/// (after outage): status.delivered", with " #2", " #3" on repeats. Index i of
/// the result belongs to scenario.expectations[i].
std::vector<std::string> expectation_names(ScenarioReport const& scenario);

/// "step 3" or "step 3 (label)".
std::string step_name(ExpectationResult const& expectation);

/// Zeroes the timing fields (wall-clock start, wall durations) so that two
/// reports of the same scenarios and seed compare equal.
void strip_timing(RunReport& run);

/// Formats Unix milliseconds as ISO 8601 UTC: "2024-03-01T09:30:00.250Z".
std::string format_iso8601(std::int64_t unix_ms);

/// Formats a rate for people in a unit that keeps it readable: "12.5 per second",
/// "3.0 per minute", "0.2 per hour".
std::string format_rate(double per_second);

/// Formats a duration for people: "850 ms", "12.5 s", "3 min 20 s", "10 min", "2 h 5 min",
/// "1 d 3 h".
std::string format_duration(std::int64_t ms);

}  // namespace candor::reports
