#pragma once

// FakeTwilio: Twilio's Programmable Messaging REST API on loopback, for scenarios,
// tests and benches.
//
//   fakes::twilio::FakeTwilio twilio(clock, {.seed = 7}, &tracker);
//   twilio.start();
//   // point the core at twilio.base_url() with config().account_sid / auth_token
//   twilio.send_inbound({.from = "+15558675310", .body = "STOP"});
//
// It implements the vendor contract on its own (providers/twilio.md): create, fetch,
// list (To, From and DateSent filters; Page, PageSize and PageToken paging), update
// (Body="" redacts, Status=canceled cancels a scheduled message) and delete Messages,
// with HTTP Basic auth (account SID + token, or API key + secret), Twilio's error bodies
// and codes, the full message resource, scheduled messages (ScheduleType=fixed with
// SendAt, Messaging Services only), the magic numbers of test credentials, and signed
// status callbacks (accepted|scheduled ->) queued -> sent|failed -> delivered|undelivered
// at clock-driven delays. Which message fails is decided by a seeded hash of what the
// client sent (To, Body, StatusCallback, sender), never by arrival order. Faults are
// scriptable from C++ and from an admin HTTP API under /__admin on the same server (see
// admin_api.cpp for its routes).
//
// Unknown resources answer 404 with Twilio's 20404 body; a wrong method on a Message
// resource answers 405 (20004); the Twilio endpoints the fake deliberately lacks (Media,
// Feedback, and the 2010 API's other resources such as Calls) answer 501 with a log line.
// Text that is not UTF-8 in a request is read as a lenient server would: each bad byte
// sequence becomes U+FFFD, so nothing is stored that cannot be written back as JSON.
// Where Twilio's code for a refusal is not known (providers/twilio.md), the fake answers
// 400 with code 20001 and a message naming the parameter.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock/clock.hpp"
#include "core/clock/work_tracker.hpp"
#include "core/common/result.hpp"
#include "fakes/http/message.hpp"
#include "fakes/http/server.hpp"

namespace candor::fakes::twilio {

/// A Messaging Service of the fake account.
struct MessagingService {
  /// "MG" + 32 hex digits.
  std::string sid = "MG00000000000000000000000000000001";
  /// Where status callbacks go when a message names no StatusCallback; "" for none.
  std::string status_callback;
  /// Where inbound messages to the pool's numbers go; "" falls back to the account's.
  std::string inbound_url;
  /// Sender pool (E.164). The sender of a message is chosen by a hash of its To.
  std::vector<std::string> senders = {"+15005550006"};
};

/// What finally happens to an outbound message.
enum class Outcome : std::uint8_t {
  kDelivered,    ///< sent, then delivered
  kUndelivered,  ///< sent, then undelivered with an error code
  kFailed,       ///< failed with an error code, never sent
  kSentOnly,     ///< sent, and the carrier never reports more
};

/// Text name of an outcome: "delivered", "undelivered", "failed", "sent".
char const* outcome_name(Outcome outcome);
/// Parses outcome_name()'s text; nullopt for anything else.
std::optional<Outcome> parse_outcome(std::string_view text);

/// One entry of the outcome mix.
struct OutcomeWeight {
  Outcome outcome = Outcome::kDelivered;
  /// Twilio error code for kUndelivered/kFailed (e.g. 30003, 30007); ignored otherwise.
  int error_code = 0;
  /// Relative weight, >= 0.
  double weight = 1.0;
};

/// Virtual-time delays between statuses of an outbound message.
struct CallbackDelays {
  /// accepted -> queued (Messaging Service messages only). Default 200 ms.
  clock::Duration queued = std::chrono::milliseconds(200);
  /// queued -> sent or failed. Default 1 s.
  clock::Duration sent = std::chrono::seconds(1);
  /// sent -> delivered or undelivered. Default 3 s.
  clock::Duration final = std::chrono::seconds(3);
};

/// Misbehaviour of status callbacks. Rates are probabilities in [0, 1], decided per
/// message and status by the seeded hash, so a run is reproducible.
struct CallbackFaults {
  /// Callback sent twice (the copy right after the first completes).
  double duplicate_rate = 0.0;
  /// Callback never sent.
  double drop_rate = 0.0;
  /// For a message with both a `sent` and a final callback: `sent` is held back and
  /// sent only after the final one completed.
  double reorder_rate = 0.0;
  /// Retry once after a connection failure or a 5xx answer, as Twilio does by default.
  bool retry_once = true;
  /// Clock delay before that retry. Default 1 s.
  clock::Duration retry_delay = std::chrono::seconds(1);
  /// Real-time limit of one callback exchange. Default 15 s, as Twilio's.
  std::chrono::milliseconds timeout = std::chrono::seconds(15);
};

/// Configuration of a FakeTwilio; every field has a usable default.
struct FakeTwilioConfig {
  /// "AC" + 32 hex digits.
  std::string account_sid = "AC0123456789abcdef0123456789abcdef";
  std::string auth_token = "fa4e70ce2bd3f1a0c5d6e7f8091a2b3c";
  /// Optional API key ("SK" + 32 hex) and its secret; empty disables key auth.
  std::string api_key_sid;
  std::string api_key_secret;
  std::vector<MessagingService> services = {MessagingService{}};
  /// Numbers owned by the account outside any service, usable as `From`.
  std::vector<std::string> numbers = {"+15005550006"};
  /// Inbound URL for numbers whose service has none.
  std::string inbound_url;
  /// Seed of every random decision.
  std::uint64_t seed = 1;
  std::vector<OutcomeWeight> outcomes = {OutcomeWeight{}};
  CallbackDelays delays;
  CallbackFaults callback_faults;
  /// Behave as Twilio's test credentials: magic numbers decide the answer, no status
  /// callbacks, Messaging Services ignored, fetch and list answer 403 (20008).
  bool test_credentials = false;
  /// With a Messaging Service, an opted-out recipient gets 201 and a later `failed`
  /// (21610) callback instead of a synchronous 400, as Twilio sometimes does.
  bool defer_opt_out_with_service = false;
  /// Server binding.
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;
  std::size_t threads = 1;
};

/// A message as the fake holds it (both directions).
struct MessageRecord {
  std::uint64_t sequence = 0;
  std::string sid;
  std::string direction;  ///< "outbound-api" or "inbound"
  std::string to;
  std::string from;  ///< "" while a service has not chosen a sender
  std::string body;
  std::string messaging_service_sid;
  std::string status_callback;  ///< effective URL; "" for none
  std::string status;
  std::optional<int> error_code;
  int num_segments = 0;  ///< reported as 0 until a sender is chosen
  clock::TimePoint date_created{};
  clock::TimePoint date_updated{};
  std::optional<clock::TimePoint> date_sent;
  /// When a scheduled message is due (ScheduleType=fixed); nullopt for the others.
  std::optional<clock::TimePoint> send_at;
};

/// One status or inbound callback attempt and its result.
struct CallbackRecord {
  std::uint64_t number = 0;
  std::string kind;  ///< "status" or "inbound"
  std::string message_sid;
  std::string status;  ///< MessageStatus sent ("received" for inbound)
  std::string url;
  http::Fields params;
  std::string signature;
  /// I-Twilio-Idempotency-Token: one per event (message and status), so a retry or a
  /// duplicate delivery of the same callback carries the same token.
  std::string idempotency_token;
  int attempt = 1;
  bool duplicate = false;
  bool dropped = false;  ///< decided not to send (drop fault)
  clock::TimePoint sent_at{};
  clock::TimePoint completed_at{};
  bool completed = false;
  int http_status = 0;  ///< 0 when no response arrived
  std::string error;    ///< transport error, if any
};

/// An inbound SMS to deliver to the core.
struct InboundMessage {
  std::string from;
  /// Default: the first sender of the first service, else the first owned number.
  std::string to;
  std::string body;
};

/// The fake. Thread-safe.
class FakeTwilio {
 public:
  /// `clock` dates messages and times callbacks; `tracker` counts callbacks in flight
  /// and the server's request handling, so a ManualClock can settle.
  FakeTwilio(clock::Clock& clock, FakeTwilioConfig config = {},
             clock::WorkTracker* tracker = nullptr);
  ~FakeTwilio();
  FakeTwilio(FakeTwilio const&) = delete;
  FakeTwilio& operator=(FakeTwilio const&) = delete;

  /// Binds and serves. Errors as HttpServer::start().
  Status start();
  /// Stops serving and cancels callbacks not yet due; callbacks in flight complete.
  /// Idempotent; start() may serve again.
  void stop();
  /// Blocks until stop() is called from another thread (for a command-line runner that
  /// serves until interrupted). Returns at once when not running.
  void wait_until_stopped();

  std::string base_url() const;
  std::uint16_t port() const;
  /// base_url() + "/2010-04-01/Accounts/<account sid>".
  std::string account_url() const;
  /// The configuration as given (behaviour setters below do not change it).
  FakeTwilioConfig const& config() const;

  // Behaviour; each applies to messages created afterwards.

  /// Replaces the outcome mix. InvalidArgument when empty, a weight is negative, or all
  /// weights are zero.
  Status set_outcomes(std::vector<OutcomeWeight> outcomes);
  void set_delays(CallbackDelays delays);
  /// InvalidArgument when a rate is outside [0, 1].
  Status set_callback_faults(CallbackFaults faults);

  // Request faults (the admin API is never affected).

  /// The next `count` API requests answer 429 with error 20429.
  void rate_limit_next(std::size_t count);
  /// The next `count` API requests answer `status` (5xx) with a Twilio error body.
  void server_error_next(std::size_t count, int status = 500);
  /// The next `count` API requests have their connection reset.
  void reset_next(std::size_t count);
  /// Every API request waits `latency` on the clock first.
  void set_latency(clock::Duration latency);
  /// The underlying server, for per-request-number faults and its request journal.
  http::HttpServer& server();

  // Inbound.

  /// Sends `message` signed to the inbound URL and returns its SID. STOP-like keywords
  /// opt the sender out of further messages (21610) until a START-like keyword.
  /// FailedPrecondition when no inbound URL is configured; InvalidArgument for a bad
  /// number. The HTTP exchange completes asynchronously (see callbacks()).
  Result<std::string> send_inbound(InboundMessage message);
  /// Whether `number` has opted out. Opt-out applies to the whole account.
  bool opted_out(std::string const& number) const;

  // Queries.

  std::optional<MessageRecord> message(std::string const& sid) const;
  /// Every message, oldest first.
  std::vector<MessageRecord> messages() const;
  std::vector<CallbackRecord> callbacks() const;
  /// Blocks until `count` callback attempts have completed (or were dropped), or
  /// `timeout` real time passes.
  [[nodiscard]] bool wait_for_callbacks(
      std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// {"requests": [...], "callbacks": [...]} with every API request (Authorization
  /// redacted) and every callback attempt.
  std::string journal_json() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace candor::fakes::twilio
