#pragma once

// The interface the dispatcher sends through, and the closed set of outcomes a
// provider can report for one send.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock/clock.hpp"
#include "core/domain/status_machine.hpp"
#include "core/domain/types.hpp"

namespace candor::providers {

/// One message to hand to a provider.
struct OutboundMessage {
  domain::MessageId message_id = 0;
  domain::Channel channel = domain::Channel::kSms;
  /// E.164 number or e-mail address.
  std::string to;
  /// E-mail only; SMS has no subject.
  std::string subject;
  std::string body;
  /// 1 for the first try; providers may send it along (Twilio's Attempt).
  int attempt = 1;
};

/// What became of one send.
enum class OutcomeKind : std::uint8_t {
  kAccepted,     ///< the provider took the message (Sent)
  kRejected,     ///< permanent refusal: do not retry (Failed)
  kRateLimited,  ///< the provider asked us to slow down: retry later
  kTransient,    ///< connection error, timeout or 5xx: retry later
};

inline std::string_view to_string(OutcomeKind kind) {
  switch (kind) {
    case OutcomeKind::kAccepted:
      return "accepted";
    case OutcomeKind::kRejected:
      return "rejected";
    case OutcomeKind::kRateLimited:
      return "rate_limited";
    case OutcomeKind::kTransient:
      return "transient";
  }
  return "unknown";
}

struct SendOutcome {
  OutcomeKind kind = OutcomeKind::kTransient;
  /// The provider's id for the message (Twilio SM..., Syniverse message request
  /// id, SMTP queue id); empty unless accepted.
  std::string provider_message_id;
  /// The provider's status in its reply ("accepted", "queued", "250").
  std::string raw_status;
  /// The provider's error code ("21211", "SCG_ERROR_4010", "550") and message.
  std::string error_code;
  std::string error_message;
  /// HTTP status of the final exchange, 0 when none (SMTP, connection error).
  int http_status = 0;
  /// A wait the provider asked for, when it said.
  std::optional<clock::Duration> retry_after;
};

using SendCallback = std::function<void(SendOutcome)>;

/// A provider of one channel. Implementations are thread-safe: send() may be
/// called from any thread, many times concurrently, and the callback runs
/// exactly once on a thread of the provider's choosing.
class Provider {
 public:
  virtual ~Provider() = default;

  /// The configured name of this provider ("twilio", "syniverse", ...).
  virtual std::string const& name() const = 0;
  virtual domain::ProviderKind kind() const = 0;
  virtual domain::Channel channel() const = 0;

  /// True when the provider reports delivery by callback (Twilio, Syniverse);
  /// for every other provider an accepted message stays Sent.
  virtual bool has_delivery_callbacks() const = 0;

  /// Sends one message; `done` receives the outcome. Never throws; every
  /// failure is an outcome.
  virtual void send(OutboundMessage message, SendCallback done) = 0;
};

}  // namespace candor::providers
