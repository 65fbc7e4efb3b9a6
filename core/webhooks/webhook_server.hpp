#pragma once

// WebhookServer: the HTTP endpoint providers call with delivery statuses and
// inbound SMS. Twilio requests are checked against X-Twilio-Signature, Syniverse
// requests against Basic credentials; accepted callbacks go to a WebhookSink and
// the provider gets its answer at once.
//
//   WebhookServer server({.port = 8080, .public_base_url = "https://hooks.example.com",
//                         .twilio_auth_token = token, ...}, sink, clock);
//   if (auto started = server.start(); !started) { ... }

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/clock/clock.hpp"
#include "core/common/result.hpp"
#include "core/webhooks/webhook_sink.hpp"

namespace candor::webhooks {

/// Configuration of a WebhookServer. An empty path disables its route.
struct WebhookServerOptions {
  /// Address to listen on.
  std::string bind_address = "127.0.0.1";
  /// Port to listen on; 0 picks a free one (see WebhookServer::port()).
  std::uint16_t port = 0;
  /// Scheme, host and optional port the provider calls, without a trailing
  /// slash, e.g. "https://hooks.example.com". Twilio signs this URL plus the
  /// request target. Empty means "http://<bind_address>:<port>".
  std::string public_base_url;

  std::string twilio_status_path = "/webhooks/twilio/status";
  std::string twilio_inbound_path = "/webhooks/twilio/inbound";
  std::string syniverse_events_path = "/webhooks/syniverse/events";

  /// Twilio's account auth token; required when a Twilio path is set. Secret.
  std::string twilio_auth_token;
  /// Provider name put on Twilio updates, as configured for the dispatcher.
  std::string twilio_provider_name = "twilio";

  /// Basic credentials Syniverse's delivery configuration sends; required when
  /// the Syniverse path is set. The password is secret.
  std::string syniverse_user;
  std::string syniverse_password;
  std::string syniverse_provider_name = "syniverse";

  /// Larger bodies are answered 413.
  std::size_t max_body_bytes = 64 * 1024;
  /// I/O threads.
  int threads = 1;
  /// An idle or slow connection is closed after this long without a request.
  std::chrono::milliseconds read_timeout = std::chrono::seconds(30);
};

/// Counters of how requests ended; read at any time.
struct WebhookStats {
  std::uint64_t accepted = 0;      ///< handed to the sink or acknowledged and ignored
  std::uint64_t unauthorized = 0;  ///< 401 and 403
  std::uint64_t bad_request = 0;   ///< 400 and 413
  std::uint64_t not_routed = 0;    ///< 404 and 405
};

class WebhookRouter;

/// The webhook HTTP server (HTTP/1.1, keep-alive). Thread-safe; the sink is
/// called from the server's I/O threads before the reply is written.
class WebhookServer {
 public:
  /// `sink` and `clock` must outlive the server. Nothing listens until start().
  WebhookServer(WebhookServerOptions options, WebhookSink& sink, clock::Clock& clock);
  /// Stops the server if it runs.
  ~WebhookServer();
  WebhookServer(WebhookServer const&) = delete;
  WebhookServer& operator=(WebhookServer const&) = delete;

  /// Checks the options, binds and starts the I/O threads. Fails with
  /// kInvalidArgument naming the option, or kUnavailable when binding fails.
  /// Call once.
  Status start();

  /// Closes the listener and every connection and joins the threads. Idempotent.
  void stop();

  /// The bound port; 0 before start().
  std::uint16_t port() const;

  /// The public base URL in use (the option, or the bound address when empty).
  std::string base_url() const;

  WebhookStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace candor::webhooks
