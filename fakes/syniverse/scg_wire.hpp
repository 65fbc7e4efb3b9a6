#pragma once

// The fake Syniverse's reading of the SCG messaging contract: request validation with
// SCG_ERROR_* codes, id formats, seeded outcomes and timestamps. Written from the
// provider notes for the fake only; core has its own client and shares nothing here.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/clock/clock.hpp"

namespace candor::fakes::syniverse {

/// An SCG error answer: HTTP status plus the documented body
/// {"error_code":"SCG_ERROR_4001","error_description":"..."}.
struct ScgError {
  int http_status = 400;
  /// Full code, e.g. "SCG_ERROR_4001".
  std::string code;
  std::string description;

  /// The JSON body.
  std::string body() const;
};

/// A validated POST /messaging/message_requests body.
struct SendRequest {
  /// As sent: "channel:<id>" or "sender_id:<id>".
  std::string from;
  /// E.164 recipients, in order, duplicates kept.
  std::vector<std::string> to;
  std::string body;
  /// The caller's tracking id; "" when absent.
  std::string external_id;
  /// test_message_flag: the messages go to state TEST and are never delivered.
  bool test_message = false;
  /// consent_requirement: "OPT_IN", "OPT_OUT" or "NONE"; "" when absent.
  std::string consent_requirement;
};

/// What the fake accepts in a send.
struct SendLimits {
  /// Known channel ids for "channel:<id>"; empty accepts any id.
  std::vector<std::string> channels;
  /// Known sender ids for "sender_id:<id>"; empty accepts any id.
  std::vector<std::string> sender_ids;
  std::size_t max_recipients = 100;
  /// Longest body in characters (bytes of UTF-8); longer is SCG_ERROR_4005.
  std::size_t max_body_length = 2000;
};

/// Validates `json` against the contract. Errors, in the order checked: not a JSON
/// object (40025); `from`, `to` or `body` missing or null (4001); one of them of the
/// wrong type (4002); an optional field of the wrong type (4003); both media_urls and
/// attachments (40010); `from` without a known channel:/sender_id: (40018); no
/// recipients (4001); too many (40015); a recipient that is not E.164 (40024); body
/// too long (4005); a consent_requirement other than OPT_IN, OPT_OUT or NONE (4004).
std::variant<SendRequest, ScgError> parse_send_request(std::string_view json,
                                                       SendLimits const& limits);

/// True for "+" then 7 to 15 digits, the first not 0.
bool is_e164(std::string_view number);

/// Deterministic ids: 22-character base62 resource ids ("6QX2csWrr064RzxhwHo0m7") and
/// 22-character URL-safe base64 event ids, from a seeded generator. Not thread-safe.
class IdSource {
 public:
  explicit IdSource(std::uint64_t seed) : state_(seed) {}

  std::string next_resource_id();
  std::string next_event_id();

 private:
  std::uint64_t next();
  std::uint64_t state_;
};

/// A number in [0, 1) that depends only on `seed` and `key`: the same message gets the
/// same draw whatever order it arrives in.
double seeded_draw(std::uint64_t seed, std::string_view key);

/// "2019-08-16T01:28:44.526Z" (UTC, milliseconds).
std::string iso_time(clock::TimePoint time);

}  // namespace candor::fakes::syniverse
