#pragma once

// The vocabulary of candidate messaging: ids, channels, contexts, statuses,
// block reasons, candidates and messages. Plain values, no behaviour beyond
// conversion to and from their stable names (used in the store, reports and YAML).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock/clock.hpp"

namespace candor::domain {

using CandidateId = std::int64_t;
using MessageId = std::int64_t;
using clock::TimePoint;

enum class Channel : std::uint8_t { kEmail, kSms };
enum class Direction : std::uint8_t { kOutbound, kInbound };

/// The providers whose raw status vocabularies the status machine knows.
enum class ProviderKind : std::uint8_t { kTwilio, kSyniverse, kSmtp, kGeneric };

/// Where a send was started. Only kProfile moves Last Contacted.
enum class ContextKind : std::uint8_t { kProfile, kRequisition, kPool, kSearch };

struct Context {
  ContextKind kind = ContextKind::kProfile;
  /// Requisition or pool id; empty for profile and search.
  std::string id;

  friend bool operator==(Context const&, Context const&) = default;
};

/// The status a recruiter sees. kQueued is the short life of an admitted message
/// before its provider answers; the other five are the shown statuses.
enum class Status : std::uint8_t { kQueued, kSent, kDelivered, kFailed, kReceived, kBlocked };

/// Why a message was blocked, in the order the send policy checks them.
enum class BlockReason : std::uint8_t {
  kNone,
  kInvalidNumber,          ///< the phone number cannot be parsed (or is missing)
  kOptedOut,               ///< the candidate replied STOP
  kCountryNotAllowed,      ///< the number's country is not in the allowed list
  kNumberBlocked,          ///< the number is in the blocked list
  kPatternBlocked,         ///< the number's digits match a blocked pattern
  kCandidateDailyLimit,    ///< per phone number or per candidate number
  kApplicationDailyLimit,  ///< the whole application's daily limit
  kInvalidEmail,           ///< e-mail: the address is missing or malformed
};

struct Candidate {
  CandidateId id = 0;
  /// The number recruiters see, e.g. "CAND-000123"; limits are also counted on it.
  std::string candidate_number;
  std::string first_name;
  std::string last_name;
  std::string email;
  /// E.164 once stored through Messenger::upsert_candidates when it parses; as
  /// given otherwise.
  std::string phone;
  bool sms_opt_out = false;
  std::optional<TimePoint> last_contacted;
};

/// One entry of a message's history: every raw provider status and callback,
/// whether or not it changed the shown status.
struct StatusEvent {
  TimePoint at;
  /// "admitted", "blocked", "provider:queued", "callback:delivered", ...
  std::string raw_status;
  /// The shown status after this event.
  Status status = Status::kQueued;
  std::string error_code;
  std::string detail;
};

struct Message {
  MessageId id = 0;
  /// Empty for an inbound message whose number matches no candidate.
  std::optional<CandidateId> candidate_id;
  Channel channel = Channel::kSms;
  Direction direction = Direction::kOutbound;
  Context context;
  std::string subject;
  std::string body;
  /// E.164 number or e-mail address.
  std::string to;
  std::string from;
  /// Provider name as configured ("twilio", "syniverse", "smtp", "generic").
  std::string provider;
  std::string provider_message_id;
  Status status = Status::kQueued;
  BlockReason block_reason = BlockReason::kNone;
  std::string error_code;
  std::string error_message;
  TimePoint created_at;
  TimePoint updated_at;
  std::vector<StatusEvent> history;
};

/// A raw status reported by a provider (callback or status fetch), before the
/// status machine has looked at it.
struct StatusUpdate {
  /// Configured provider name, as stored on the message.
  std::string provider;
  ProviderKind kind = ProviderKind::kTwilio;
  std::string provider_message_id;
  /// Our own message id when the provider echoes it back (Syniverse's
  /// external_message_request_id); lets a report reach its message even when
  /// the provider's id for it was never stored.
  std::optional<MessageId> message_id;
  std::string raw_status;
  std::string error_code;
  std::string detail;
  TimePoint at;
};

// Stable lower-case names, used by the store, the reports and the scenarios.
std::string_view to_string(Channel value);
std::string_view to_string(Direction value);
std::string_view to_string(ContextKind value);
std::string_view to_string(Status value);
std::string_view to_string(BlockReason value);
std::string_view to_string(ProviderKind value);

std::optional<Channel> parse_channel(std::string_view name);
std::optional<Direction> parse_direction(std::string_view name);
std::optional<ContextKind> parse_context_kind(std::string_view name);
std::optional<Status> parse_status(std::string_view name);
std::optional<BlockReason> parse_block_reason(std::string_view name);
std::optional<ProviderKind> parse_provider_kind(std::string_view name);

}  // namespace candor::domain
