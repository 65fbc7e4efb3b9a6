#pragma once

// WebhookRouter: what the webhook server does with one HTTP request, without the
// transport. Routes by path, authenticates, parses and hands the callback to the
// sink; returns the reply to send. Kept apart from the server so that request
// handling is tested and fuzzed without sockets.

#include <atomic>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock/clock.hpp"
#include "core/webhooks/webhook_server.hpp"
#include "core/webhooks/webhook_sink.hpp"

namespace candor::webhooks {

/// The parts of a request the router reads.
struct WebhookRequest {
  std::string method;
  /// Path and query as received, e.g. "/webhooks/twilio/status?x=1".
  std::string target;
  std::string content_type;
  /// Authorization header; nullopt when absent.
  std::optional<std::string> authorization;
  /// X-Twilio-Signature header; nullopt when absent.
  std::optional<std::string> twilio_signature;
  std::string body;
};

/// The reply to send.
struct WebhookReply {
  int status = 200;
  std::string content_type;
  std::string body;
  /// Extra headers, e.g. WWW-Authenticate or Allow.
  std::vector<std::pair<std::string, std::string>> headers;
};

/// Routes and handles requests. Thread-safe.
class WebhookRouter {
 public:
  /// `base_url` is the public base URL Twilio signs (no trailing slash). `sink`
  /// and `clock` must outlive the router; options are expected checked.
  WebhookRouter(WebhookServerOptions options, std::string base_url, WebhookSink& sink,
                clock::Clock& clock);

  /// Handles one request: 404 unknown path, 405 wrong method, 401/403 bad
  /// credentials or signature, 400 malformed body (the reason names the field),
  /// otherwise 200 after the sink was called. Never throws on request content.
  WebhookReply handle(WebhookRequest const& request);

  /// Records a request the transport refused before routing (413, 400).
  void count_bad_request() { bad_request_.fetch_add(1, std::memory_order_relaxed); }

  WebhookStats stats() const;

 private:
  WebhookReply handle_twilio(WebhookRequest const& request, bool inbound);
  WebhookReply handle_syniverse(WebhookRequest const& request);
  WebhookReply reject(int status, std::string reason);

  WebhookServerOptions options_;
  std::string base_url_;
  WebhookSink& sink_;
  clock::Clock& clock_;
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> unauthorized_{0};
  std::atomic<std::uint64_t> bad_request_{0};
  std::atomic<std::uint64_t> not_routed_{0};
};

/// Checks that the options can run a server: a token for Twilio paths,
/// credentials for the Syniverse path, a non-zero body limit and thread count,
/// paths starting with '/'. Fails with kInvalidArgument naming the option.
Status check_options(WebhookServerOptions const& options);

}  // namespace candor::webhooks
