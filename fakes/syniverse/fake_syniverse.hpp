#pragma once

// FakeSyniverse: the Syniverse Communication Gateway (SCG) messaging API on loopback,
// with Event Subscription Service (ESS) webhooks.
//
//   FakeSyniverse scg({.delivery = {.url = core_webhook, .username = "ess", .password = "pw"}},
//                     clock, &tracker);
//   scg.start();
//   // the client under test POSTs to scg.api_base_url() + "/messaging/message_requests"
//   // with "Authorization: Bearer " + scg.token()
//   clock.advance(std::chrono::seconds(5));   // SENT, then DELIVERED/FAILED/EXPIRED events
//
// Each recipient of a send becomes a message that moves CREATED -> SENT -> DELIVERED
// (or FAILED / EXPIRED with a numeric reason_code) on the injected clock, and every
// state change is POSTed as a `message_state_change` event in the ESS envelope to the
// configured delivery URL with HTTP Basic credentials. Inbound (MO) messages are
// injected from C++ or the admin API and delivered as `mo_message_received`.
//
// Consent is managed by the fake, as SCG does for a sender whose consent is
// SCG-managed: an MO whose whole body is an opt-out keyword (STOP, STOPALL,
// UNSUBSCRIBE, CANCEL, END, QUIT; any case, spaces ignored) opts its sender out, and
// an opt-in keyword (START, UNSTOP) opts it back in. A send to an opted-out number is
// still accepted (200, the message is created), as SCG does when a consent check
// fails, and the message then goes CREATED -> FAILED with reason_code 1005 and
// failure_code NO_CONSENT. A send with "consent_requirement":"NONE" skips the check;
// "OPT_IN" needs an opt-in keyword from the number first.
//
// Random outcomes, failure codes and event faults are drawn from a seeded hash of what
// the client sent (recipient, body, external_id; sender and body for MO), never from
// the fake's ids, which follow arrival order: the same scenario gets the same outcomes
// however its concurrent sends interleave.
//
// Event delivery retries follow the schedule Syniverse documents for ESS: 5 attempts
// in all, the 2nd 30 s after the 1st, then 1 min, 30 min and 60 min; a failed attempt
// is retried when no response came or the status was 5xx, 404 or 408, and never for
// another 4xx. After the last attempt the event is FAILED.
//
// Admin API (not journaled, not faulted), JSON in and out:
//   GET  /__admin/messages | /__admin/message_requests | /__admin/events | /__admin/journal
//   POST /__admin/inbound        {"from":"+1555...","body":"STOP"}      -> {"message_id":..}
//   POST /__admin/outcomes       {"to":"+1555...","outcome":"failed","reason_code":"1002"}
//   POST /__admin/faults         {"count":3,"kind":"status|drop|reset|delay",
//                                 "status":503,"body":"...","delay_ms":2000}
//   POST /__admin/latency        {"ms":250}
//   POST /__admin/event_faults   {"count":1,"kind":"drop|duplicate|delay","delay_ms":60000,
//                                 "address":"+1555...","new_state":"DELIVERED"}
//   POST /__admin/tokens/expire  {"token":"..."}
//   POST /__admin/reset          clears HTTP faults, event faults and scripted outcomes
//   GET  /__admin/consent        numbers opted out and opted in
// Counts are 1 to kMaxScriptedCount; a field of the wrong type or out of range is
// answered 400 naming the field.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock/clock.hpp"
#include "core/clock/work_tracker.hpp"
#include "core/common/result.hpp"
#include "fakes/http/server.hpp"

namespace candor::fakes::syniverse {

/// How an MT message ends.
enum class Outcome : std::uint8_t { kDelivered, kFailed, kExpired };

/// "delivered", "failed", "expired".
char const* outcome_name(Outcome outcome);
/// The inverse of outcome_name; nullopt for anything else.
std::optional<Outcome> parse_outcome(std::string_view name);

/// Relative weights of the outcomes drawn for messages without a scripted outcome.
struct OutcomeMix {
  double delivered = 1.0;
  double failed = 0.0;
  double expired = 0.0;
};

/// Where and how events are delivered (the ESS delivery configuration).
struct EventDeliveryConfig {
  /// http:// URL events are POSTed to; "" keeps events in the fake only (state
  /// "NO_ENDPOINT").
  std::string url;
  /// HTTP Basic credentials sent with each event; no Authorization header when the
  /// user name is "".
  std::string username;
  std::string password;
  /// Delay before attempt 2, 3, ...; its size + 1 is the number of attempts.
  std::vector<clock::Duration> retry_delays = {std::chrono::seconds(30), std::chrono::minutes(1),
                                               std::chrono::minutes(30), std::chrono::minutes(60)};
};

/// Largest `count` one scripted fault may cover (admin API and C++ alike).
inline constexpr std::size_t kMaxScriptedCount = 1'000'000;

/// A scripted misbehaviour of one event.
struct EventFault {
  enum class Kind : std::uint8_t {
    kDrop,       ///< never delivered (state "DROPPED")
    kDuplicate,  ///< delivered twice with the same event-id
    kDelay,      ///< delivered `delay` later on the clock, so later events overtake it
  };
  Kind kind = Kind::kDrop;
  clock::Duration delay{};
};

/// Which events a scripted event fault waits for; an empty field matches any event.
struct EventMatch {
  /// The other party: to_address of an MT message, from_address of an MO one.
  std::string address;
  /// new_state of the event: SENT, DELIVERED, FAILED, EXPIRED, or RECEIVED for MO.
  std::string new_state;
};

/// Seeded probabilities of event faults, drawn per message content and state (so the
/// same event is affected whatever the arrival order). Scripted faults come first.
struct EventFaultRates {
  double drop = 0.0;
  double duplicate = 0.0;
  double delay = 0.0;
  /// Delay used by `delay`.
  clock::Duration delay_by = std::chrono::seconds(10);
};

/// Configuration of a FakeSyniverse; every field has a usable default.
struct FakeSyniverseConfig {
  http::ServerOptions server = {.log_name = "fake.syniverse"};
  /// Bearer tokens accepted; the first is returned by token().
  std::vector<std::string> tokens = {"scg-fake-token"};
  /// Bearer tokens answered 404 SCG_ERROR_4046 (access token expired).
  std::vector<std::string> expired_tokens;
  /// Channel ids accepted in "from":"channel:<id>"; empty accepts any.
  std::vector<std::string> channels = {"1KJPMkuHQkair_o15etpmg"};
  /// Sender ids accepted in "from":"sender_id:<id>"; empty accepts any.
  std::vector<std::string> sender_ids;
  /// The number messages are sent from (from_address of MT events, to_address of MO).
  std::string sender_address = "+15550006000";
  /// Seed of ids, outcomes, failure codes and event fault draws.
  std::uint64_t seed = 1;
  OutcomeMix mix;
  /// Numeric failure codes drawn for FAILED messages (reason_code).
  std::vector<std::string> failure_codes = {"1009", "1002", "1005"};
  /// Clock time from accept to SENT, and from SENT to the final state.
  clock::Duration sent_delay = std::chrono::seconds(1);
  clock::Duration final_delay = std::chrono::seconds(4);
  std::size_t max_recipients = 100;
  std::size_t max_body_length = 2000;
  EventDeliveryConfig delivery;
  EventFaultRates event_faults;
  /// Values of company-id and application_id in events.
  int company_id = 1001;
  int application_id = 2002;
  /// Whether MO keywords change consent and sends to opted-out numbers fail (1005).
  bool manage_consent = true;
  /// Whole MO bodies (compared without case and spaces) that opt the sender out / in.
  /// Oracle Recruiting's defaults, which a provider managing consent should match.
  std::vector<std::string> opt_out_keywords = {"STOP",   "STOPALL", "UNSUBSCRIBE",
                                               "CANCEL", "END",     "QUIT"};
  std::vector<std::string> opt_in_keywords = {"START", "UNSTOP"};

  /// Checks the fields a start() depends on; the error names the field
  /// ("fake syniverse: delivery.url ...").
  Status validate() const;
};

/// One message (one recipient of a request, or one inbound message).
struct ScgMessage {
  std::string id;
  /// "" for inbound messages.
  std::string request_id;
  /// "MT" or "MO".
  std::string direction;
  std::string from_address;
  std::string to_address;
  std::string body;
  std::string external_id;
  /// CREATED, SENT, DELIVERED, FAILED, EXPIRED, TEST (MT) or RECEIVED (MO).
  std::string state;
  /// The end planned for an MT message.
  Outcome outcome = Outcome::kDelivered;
  /// Numeric reason of a FAILED/EXPIRED message ("1009"), "" otherwise.
  std::string reason_code;
  std::string reason_description;
  /// The consent check failed at send: the message fails with 1005, never SENT.
  bool no_consent = false;
  clock::TimePoint created_at{};
  std::optional<clock::TimePoint> sent_at;
  std::optional<clock::TimePoint> final_at;
};

/// One accepted POST /messaging/message_requests.
struct ScgMessageRequest {
  std::string id;
  std::string from;
  std::vector<std::string> to;
  std::string body;
  std::string external_id;
  bool test_message = false;
  std::vector<std::string> message_ids;
  clock::TimePoint created_at{};
};

/// One delivery attempt of an event.
struct EventAttempt {
  int attempt = 0;
  clock::TimePoint at{};
  /// HTTP status answered; 0 when no response came.
  int status = 0;
  /// Why no response came; "" otherwise.
  std::string error;
};

/// One event and what became of it.
struct ScgEvent {
  std::string event_id;
  /// "message_state_change" or "mo_message_received".
  std::string type;
  std::string message_id;
  /// new_state of a state change; "RECEIVED" for MO.
  std::string new_state;
  /// The envelope as sent with attempt 1.
  std::string payload;
  /// PENDING, RETRY, SUCCESS, FAILED (attempts exhausted or refused), DROPPED (fault),
  /// NO_ENDPOINT (no delivery URL).
  std::string state;
  /// The fault applied: "", "drop", "duplicate", "delay".
  std::string fault;
  std::vector<EventAttempt> attempts;
};

/// The fake SCG server. Every public member is thread-safe.
class FakeSyniverse {
 public:
  /// `clock` and `tracker` (may be null) must outlive this object.
  FakeSyniverse(FakeSyniverseConfig config, clock::Clock& clock,
                clock::WorkTracker* tracker = nullptr);
  ~FakeSyniverse();
  FakeSyniverse(FakeSyniverse const&) = delete;
  FakeSyniverse& operator=(FakeSyniverse const&) = delete;

  /// Validates the configuration (kInvalidArgument naming the field), then binds and
  /// serves. Other errors as HttpServer::start().
  Status start();
  /// Stops serving, abandons event deliveries in flight and cancels pending timers.
  /// Idempotent; the object cannot be started again.
  void stop();
  /// Blocks until stop() is called from another thread (command line use).
  void wait_until_stopped();

  std::uint16_t port() const;
  /// "http://127.0.0.1:<port>".
  std::string base_url() const;
  /// base_url() + "/scg-external-api/api/v1".
  std::string api_base_url() const;
  /// The first configured bearer token.
  std::string token() const;
  FakeSyniverseConfig const& config() const;

  /// The HTTP server: scripted faults (429/5xx bursts, drops, resets, latency) and the
  /// request journal.
  http::HttpServer& server();

  std::vector<ScgMessage> messages() const;
  std::optional<ScgMessage> message(std::string const& id) const;
  std::vector<ScgMessageRequest> requests() const;
  std::vector<ScgEvent> events() const;
  /// Waits (real time) until at least `count` events are settled (SUCCESS, FAILED,
  /// DROPPED or NO_ENDPOINT).
  [[nodiscard]] bool wait_for_settled_events(std::size_t count,
                                             std::chrono::milliseconds timeout) const;

  /// Records an inbound SMS from `from` (E.164), applies its consent keyword if any,
  /// and delivers its mo_message_received event now. Returns the message id, or
  /// kInvalidArgument for a number not in E.164.
  Result<std::string> inject_inbound(std::string const& from, std::string const& body);
  /// Whether `number` has opted out (and not back in).
  bool opted_out(std::string const& number) const;
  /// Messages to `to` accepted from now on end with `outcome`; `reason_code` ("" picks
  /// one) is used for FAILED/EXPIRED.
  void set_outcome(std::string const& to, Outcome outcome, std::string reason_code = "");
  /// The next `count` events that `match` get `fault`; scripts queue in call order and
  /// each event takes at most one. kInvalidArgument when `count` is 0 or above
  /// kMaxScriptedCount. The script is stored once, whatever `count`.
  Status script_event_faults(std::size_t count, EventFault fault, EventMatch match = {});
  /// From now on `token` is answered 404 SCG_ERROR_4046.
  void expire_token(std::string const& token);
  /// Clears HTTP faults, scripted event faults and scripted outcomes.
  void reset_faults();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace candor::fakes::syniverse
