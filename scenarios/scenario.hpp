#pragma once

// The scenario model: what a YAML scenario says, as plain structs.
//
// The loader (loader.hpp) turns a file into a Scenario and validates it once;
// the runner (runner.hpp) executes it. Nothing here holds YAML nodes. Every step
// and expectation keeps the place it came from, so a failed expectation can name
// its file, line and column.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/clock/clock.hpp"
#include "core/domain/types.hpp"
#include "core/policy/send_policy.hpp"

namespace candor::scenarios {

using clock::Duration;
using clock::TimePoint;

/// A place in a scenario file; line and column count from 1 (0 when unknown).
struct SourceMark {
  std::string file;
  int line = 0;
  int column = 0;

  /// "smoke.yaml:12:5", or just the file when the line is unknown.
  std::string to_string() const;
};

// Clock and policy --------------------------------------------------------

struct ClockSpec {
  /// Virtual time at the start of the run (ISO 8601, UTC).
  TimePoint start{};
  /// Days start at 00:00 UTC plus this offset.
  Duration day_start_offset{0};
};

/// Send policy fields. At the top level an absent field takes the core's
/// default; in set_policy an absent field keeps its current value.
struct PolicySpec {
  std::optional<std::vector<std::string>> allowed_countries;
  std::optional<std::vector<std::string>> blocked_numbers;
  std::optional<std::vector<std::string>> blocked_patterns;
  /// 0 or more; "unlimited" in YAML clears the limit (stored as nullopt inside).
  std::optional<std::optional<std::int64_t>> candidate_daily_limit;
  std::optional<std::optional<std::int64_t>> application_daily_limit;
  std::optional<std::string> default_region;
};

// Providers and faults ----------------------------------------------------

/// One possible fate of a message at a fake provider, drawn by weight. The
/// loader accepts only what the provider kind's fake can do:
///   twilio    delivered, undelivered, failed (final by callback), sent (never more)
///   syniverse delivered, failed, expired
///   generic   sent
///   smtp      sent, rejected (refused at RCPT TO)
struct OutcomeSpec {
  std::string result = "delivered";
  double weight = 1.0;
  /// Digits only: a Twilio error code for undelivered/failed ("30003"), a
  /// Syniverse reason code for failed ("1009"), an SMTP reply code from 500 to
  /// 599 for rejected ("550"). Empty lets the fake choose.
  std::string error_code;
};

/// A run of error answers from a fake.
struct BurstSpec {
  /// SMS: the HTTP status, 429, 500, 502, 503 or 504. E-mail: the SMTP reply,
  /// 421 (the session is closed after the greeting) or 451 (MAIL FROM refused).
  int status = 503;
  /// The burst starts at this API request (SMTP: session), counted from 1 = the
  /// first request after the faults are applied (the start of the run, or a
  /// set_faults step). At most kMaxFaultRequest.
  std::int64_t start_request = 1;
  /// How many consecutive requests get the error; the bursts of one fault set
  /// cover at most kMaxBurstRequests requests together and never overlap.
  std::int64_t count = 1;
};

/// Bounds the loader enforces on faults, so that a typo cannot exhaust memory.
inline constexpr std::int64_t kMaxBurstRequests = 1'000'000;
inline constexpr std::int64_t kMaxFaultRequest = 1'000'000'000;
inline constexpr std::size_t kMaxResetRequests = 10'000;

/// Misbehaviour of a fake, all off by default.
struct FaultSpec {
  std::vector<BurstSpec> bursts;
  /// API requests (SMTP: sessions) whose connection is reset without an answer,
  /// counted like BurstSpec::start_request; sorted, no repeats.
  std::vector<std::int64_t> reset_requests;
  /// Shares of status callbacks (0..1) sent twice, swapped with the next one,
  /// or never sent.
  double duplicate_callbacks = 0.0;
  double reorder_callbacks = 0.0;
  double drop_callbacks = 0.0;

  friend bool operator==(FaultSpec const&, FaultSpec const&) = default;
};

struct ProviderSpec {
  domain::ProviderKind kind = domain::ProviderKind::kTwilio;
  std::vector<OutcomeSpec> outcomes;
  /// Delay of each status callback after the send, keyed by raw status
  /// ("sent", "delivered", ...).
  std::map<std::string, Duration> callback_delays;
  FaultSpec faults;
  /// Credentials the fake checks; generated when empty.
  std::string account_sid;
  std::string auth_token;
  std::string messaging_service_sid;
};

struct ProvidersSpec {
  std::optional<ProviderSpec> sms;
  std::optional<ProviderSpec> email;
};

// Candidates ---------------------------------------------------------------

struct CandidateSpec {
  domain::CandidateId id = 0;
  std::string number;
  std::string first_name;
  std::string last_name;
  std::string email;
  std::string phone;
  bool opted_out = false;
  std::vector<std::string> tags;
  SourceMark mark;
};

struct CountryWeight {
  std::string region;  ///< "US", "GB", ...
  double weight = 1.0;
};

/// Generated candidates: the same seed gives the same candidates.
struct GenerateSpec {
  std::int64_t count = 0;
  /// Empty means US only.
  std::vector<CountryWeight> countries;
  /// Shares (0..1) of candidates whose phone repeats an earlier candidate's,
  /// who opted out, and whose number cannot be parsed.
  double shared_phone = 0.0;
  double opted_out = 0.0;
  double invalid_number = 0.0;
  /// Generated ids start here and count up.
  domain::CandidateId first_id = 1;
  /// Every generated candidate carries these tags.
  std::vector<std::string> tags;
  /// Defaults to the scenario's seed.
  std::optional<std::uint64_t> seed;
};

struct CandidatesSpec {
  std::vector<CandidateSpec> list;
  std::optional<GenerateSpec> generate;
};

// Steps --------------------------------------------------------------------

/// Which candidates a send addresses.
struct Selector {
  enum class Kind : std::uint8_t { kAll, kIds, kFirst, kTag };
  Kind kind = Kind::kAll;
  std::vector<domain::CandidateId> ids;
  std::int64_t first = 0;
  std::string tag;
};

struct SendMessageStep {
  domain::Channel channel = domain::Channel::kSms;
  domain::Context context;
  std::string subject;
  std::string body;
  std::map<std::string, std::string> variables;
  Selector candidates;
  /// When set, the request must fail as a whole with this text in its error.
  std::optional<std::string> expect_error;
};

struct ComposeStep {
  domain::Channel channel = domain::Channel::kSms;
  domain::Context context;
  std::string subject;
  std::string body;
  std::map<std::string, std::string> variables;
  domain::CandidateId candidate = 0;
  std::optional<std::string> expect_error;
};

/// An SMS from a candidate's phone, delivered through the SMS fake.
struct InboundStep {
  std::string from;
  std::string body;
};

/// Either a duration or an absolute time to reach.
struct AdvanceStep {
  std::optional<Duration> by;
  std::optional<TimePoint> until;
};

struct SetPolicyStep {
  PolicySpec policy;
};

/// Replaces the faults of the SMS fake, the e-mail fake, or both.
struct SetFaultsStep {
  std::optional<FaultSpec> sms;
  std::optional<FaultSpec> email;
};

struct RestartStep {};

// Expectations -------------------------------------------------------------

/// An exact count, or bounds.
struct CountCheck {
  std::optional<std::int64_t> exactly;
  std::optional<std::int64_t> at_least;
  std::optional<std::int64_t> at_most;

  bool holds(std::int64_t actual) const;
  /// "5", ">= 3", "between 2 and 4".
  std::string describe() const;
};

struct LastContactedCheck {
  domain::CandidateId candidate = 0;
  enum class Kind : std::uint8_t { kSet, kUnset, kEquals };
  Kind kind = Kind::kSet;
  TimePoint at{};
};

/// The Messages tab of a candidate, newest first: one entry per message,
/// written "sms out delivered" or any prefix of it ("sms", "sms out").
struct MessagesTabCheck {
  domain::CandidateId candidate = 0;
  std::vector<std::string> entries;
};

/// The status history of one message, picked by candidate and position.
struct HistoryCheck {
  domain::CandidateId candidate = 0;
  /// Among the candidate's outbound messages in creation order; negative counts
  /// from the end (-1 is the latest).
  int index = -1;
  /// Raw statuses ("admitted", "callback:delivered"), in order; or shown ones.
  std::vector<std::string> raw;
  std::vector<std::string> shown;
};

/// Requests a fake saw, summed over its journal.
struct ProviderRequestsCheck {
  domain::Channel channel = domain::Channel::kSms;
  CountCheck count;
};

struct ThroughputCheck {
  /// Messages that reached Sent or a final status, per second.
  std::optional<double> min_per_virtual_second;
  std::optional<double> min_per_wall_second;
};

struct ExpectStep {
  std::map<domain::Status, CountCheck> status;
  std::map<domain::BlockReason, CountCheck> blocked;
  std::optional<CountCheck> total;
  std::vector<LastContactedCheck> last_contacted;
  std::vector<MessagesTabCheck> messages_tab;
  std::vector<HistoryCheck> history;
  /// Every admitted message is Sent or final, none waits in the outbox.
  bool nothing_lost = false;
  std::vector<ProviderRequestsCheck> provider_requests;
  std::optional<ThroughputCheck> throughput;
};

using StepBody = std::variant<SendMessageStep, ComposeStep, InboundStep, AdvanceStep, SetPolicyStep,
                              SetFaultsStep, RestartStep, ExpectStep>;

struct Step {
  StepBody body;
  SourceMark mark;
  /// The step's place in the file, "steps[3].expect".
  std::string path;
  /// The step's `label:`, shown in reports; empty when not given.
  std::string label;

  /// The label when given, else the path.
  std::string const& display_name() const { return label.empty() ? path : label; }
};

/// "send_message", "compose", ... for a step body.
std::string step_kind(StepBody const& body);

/// `base` with the fields `patch` sets replaced, as a set_policy step changes
/// the rules in force (the loader checks each stage with the core's policy, the
/// runner applies it).
policy::PolicyConfig apply_policy(policy::PolicyConfig base, PolicySpec const& patch);

// The scenario --------------------------------------------------------------

struct Scenario {
  std::string name;
  std::string description;
  std::uint64_t seed = 1;
  ClockSpec clock;
  PolicySpec policy;
  ProvidersSpec providers;
  CandidatesSpec candidates;
  std::vector<Step> steps;
  /// The file it came from, and that file's folder (CSV paths are relative to it).
  std::string file;
  std::string base_dir;
  /// Labels used to select scenarios (e.g. "slow").
  std::vector<std::string> tags;
};

}  // namespace candor::scenarios
