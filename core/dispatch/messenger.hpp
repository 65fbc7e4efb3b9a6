#pragma once

// Messenger: Send Message (bulk) and Compose (one candidate) for e-mail and SMS,
// the outbox and its retries, and the handling of delivery callbacks and inbound
// SMS.
//
// A send is resolved and decided in full before anything is stored: every
// template is rendered for every candidate (an unknown token or a missing value
// fails the whole request), then each SMS goes through the send policy, then all
// messages, blocked ones included, are stored with their quota counts in one
// transaction. Only then are providers called (outbox first, so that a
// restart resumes what was admitted). Provider answers and callbacks move the
// shown status forward only.
//
//   dispatch::Messenger messenger(store, policy, clock, {.sms = &twilio, .email = &smtp});
//   CANDOR_RETURN_IF_ERROR(messenger.start());
//   auto result = messenger.send_message({.channel = domain::Channel::kSms,
//                                         .context = {domain::ContextKind::kRequisition, "R-7"},
//                                         .body = "Hi {{FirstName}}",
//                                         .candidates = ids});

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/clock/clock.hpp"
#include "core/clock/work_tracker.hpp"
#include "core/common/result.hpp"
#include "core/domain/types.hpp"
#include "core/webhooks/webhook_sink.hpp"

namespace candor::store {
class Store;
}  // namespace candor::store

namespace candor::policy {
class SendPolicy;
}  // namespace candor::policy

namespace candor::providers {
class Provider;
}  // namespace candor::providers

namespace candor::dispatch {

/// The providers of each channel; either may be null when that channel is not
/// configured (sends on it then fail with kFailedPrecondition).
struct Providers {
  providers::Provider* sms = nullptr;
  providers::Provider* email = nullptr;
};

struct MessengerOptions {
  /// Provider attempts per message before it is marked Failed (transient and
  /// rate-limited outcomes are retried; rejections never are).
  int max_attempts = 5;
  /// Backoff before retry n is a random time in [0, min(max, initial * 2^(n-1))],
  /// drawn from a generator keyed by (seed, message id, attempt).
  clock::Duration initial_backoff = std::chrono::seconds(2);
  clock::Duration max_backoff = std::chrono::minutes(5);
  std::uint64_t seed = 0;
  /// Provider calls in flight at once; further admitted messages wait in order.
  std::size_t max_in_flight = 512;
  /// Inbound bodies that opt a candidate out or back in, compared after trimming
  /// and ignoring case.
  std::vector<std::string> opt_out_keywords = {"STOP",   "STOPALL", "UNSUBSCRIBE",
                                               "CANCEL", "END",     "QUIT"};
  std::vector<std::string> opt_in_keywords = {"START", "UNSTOP"};
  /// Region used to read inbound numbers written without '+'.
  std::string default_region = "US";
  /// Work to report to, so that a manual clock can wait for queued sends and
  /// callbacks; nullptr when time is real.
  clock::WorkTracker* tracker = nullptr;
};

/// One Send Message (bulk) or Compose request.
struct SendRequest {
  domain::Channel channel = domain::Channel::kSms;
  domain::Context context;
  /// E-mail subject template; unused for SMS.
  std::string subject;
  /// Body template, e.g. "Hi {{FirstName}}".
  std::string body;
  /// Values of request-level tokens such as {{RequisitionTitle}}.
  std::map<std::string, std::string> variables;
  std::vector<domain::CandidateId> candidates;
};

/// What became of one candidate of a request.
struct RecipientOutcome {
  domain::CandidateId candidate_id = 0;
  /// Blocked messages are stored too, so every outcome has a message id.
  domain::MessageId message_id = 0;
  domain::BlockReason reason = domain::BlockReason::kNone;

  bool admitted() const { return reason == domain::BlockReason::kNone; }
};

struct SendResult {
  /// In the order of the request's candidates.
  std::vector<RecipientOutcome> outcomes;
  std::int64_t admitted = 0;
  std::int64_t blocked = 0;
};

/// Counters since start(); a snapshot.
struct MessengerStats {
  std::int64_t admitted = 0;
  std::int64_t blocked = 0;
  std::int64_t sent = 0;    ///< accepted by a provider
  std::int64_t failed = 0;  ///< rejected, or given up after retries
  std::int64_t retries = 0;
  std::int64_t resumed = 0;    ///< outbox entries picked up by start()
  std::int64_t callbacks = 0;  ///< status updates handled
  std::int64_t inbound = 0;    ///< inbound SMS handled
  std::int64_t opt_outs = 0;
  std::int64_t opt_ins = 0;
  std::int64_t in_flight = 0;  ///< provider calls now pending
  std::int64_t waiting = 0;    ///< admitted, waiting for a free slot
};

class Messenger final : public webhooks::WebhookSink {
 public:
  /// `store`, `policy`, `clock` and the providers must outlive the Messenger.
  Messenger(store::Store& store, policy::SendPolicy& policy, clock::Clock& clock,
            Providers providers, MessengerOptions options = {});
  /// Stops at once: sends not yet answered stay in the outbox for the next
  /// start(), and answers that arrive later are ignored (as after a crash).
  ~Messenger() override;
  Messenger(Messenger const&) = delete;
  Messenger& operator=(Messenger const&) = delete;

  /// Loads today's quota counters from the store and resumes the outbox.
  Status start();

  /// Adds or replaces candidates. Each phone is stored in E.164 when it parses
  /// (a number without '+' is read in the policy's default region), so that
  /// replies and STOP find their candidates whatever format the number came in; a
  /// number that does not parse is kept as given, and an SMS to it is blocked as
  /// invalid_number. The policy remembers each number's verdict, so sends need not
  /// parse it again. An opt-out on record stays, and Last Contacted never moves
  /// back.
  Status upsert_candidates(std::span<domain::Candidate const> candidates);

  /// Send Message: one request, many candidates, one channel. Fails as a whole,
  /// before anything is stored, on an unknown candidate, a template error or a
  /// channel without a provider.
  Result<SendResult> send_message(SendRequest const& request);

  /// Compose: the same for exactly one candidate.
  Result<RecipientOutcome> compose(SendRequest const& request);

  MessengerStats stats() const;

  // webhooks::WebhookSink
  void on_status(domain::StatusUpdate update) override;
  void on_inbound(webhooks::InboundSms message) override;

 private:
  class Core;
  std::shared_ptr<Core> core_;
};

}  // namespace candor::dispatch
