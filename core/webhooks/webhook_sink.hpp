#pragma once

// What the webhook receiver hands on once a request is authenticated and parsed.
// The receiver answers the provider at once; the sink queues the work.

#include <string>

#include "core/domain/types.hpp"

namespace candor::webhooks {

/// An SMS a candidate sent to us.
struct InboundSms {
  /// Configured provider name ("twilio", "syniverse").
  std::string provider;
  domain::ProviderKind kind = domain::ProviderKind::kTwilio;
  /// Twilio MessageSid or Syniverse message_id; repeats are recognised by it.
  std::string provider_message_id;
  /// The candidate's number in E.164 and ours.
  std::string from;
  std::string to;
  std::string body;
  clock::TimePoint at;
};

/// Receives parsed callbacks. Implementations must return quickly (queue the
/// work) and be thread-safe: the receiver calls from its I/O threads.
class WebhookSink {
 public:
  virtual ~WebhookSink() = default;

  /// A delivery status for an outbound message.
  virtual void on_status(domain::StatusUpdate update) = 0;

  /// An inbound SMS, including opt-out and opt-in keywords.
  virtual void on_inbound(InboundSms message) = 0;
};

}  // namespace candor::webhooks
