#pragma once

// FakeGenericSms: a stand-in for a "generic" SMS provider, the kind an administrator
// configures by hand (URL, method, headers, Basic credentials and a JSON body template
// holding the recipient's number). It answers 200 with a JSON id, records each
// message and never calls back, so messages sent through it stay "Sent".
//
//   FakeGenericSms sms({.basic_auth = GenericCredentials{"acct", "secret"}}, clock);
//   sms.start();
//   // the client POSTs {"to":"+15551230001","text":"Hi"} to sms.url()
//
// Admin API (not journaled, not faulted):
//   GET  /__admin/messages | /__admin/journal
//   POST /__admin/faults  {"count":2,"kind":"status|drop|reset|delay","status":503,
//                          "body":"...","delay_ms":1000}
//   POST /__admin/latency {"ms":250}
//   POST /__admin/reset   clears faults and latency

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

namespace candor::fakes::generic {

/// The Basic credentials the endpoint demands.
struct GenericCredentials {
  std::string username;
  std::string password;
};

/// Configuration of a FakeGenericSms; every field has a usable default.
struct FakeGenericSmsConfig {
  http::ServerOptions server = {.log_name = "fake.generic"};
  /// Method and path of the send endpoint; other methods get the server's 501.
  std::string method = "POST";
  std::string path = "/sms/send";
  /// When set, requests without these Basic credentials get 401.
  std::optional<GenericCredentials> basic_auth;
  /// Dotted path of the recipient in the JSON body ("to", "message.recipient"); its
  /// value is a string or an array of strings. "" accepts bodies without one.
  std::string recipient_field = "to";
  /// Dotted path of the message text, recorded when present; "" records none.
  std::string text_field = "body";
  /// Name of the id field in the answer.
  std::string id_field = "id";
};

/// One accepted request.
struct GenericMessage {
  /// Id returned to the client ("gen-00000001").
  std::string id;
  std::vector<std::string> recipients;
  std::string text;
  /// The request body as received.
  std::string raw_body;
  http::Fields headers;
  clock::TimePoint received_at{};
};

/// The fake generic provider. Every public member is thread-safe.
class FakeGenericSms {
 public:
  /// `clock` and `tracker` (may be null) must outlive this object.
  FakeGenericSms(FakeGenericSmsConfig config, clock::Clock& clock,
                 clock::WorkTracker* tracker = nullptr);
  ~FakeGenericSms();
  FakeGenericSms(FakeGenericSms const&) = delete;
  FakeGenericSms& operator=(FakeGenericSms const&) = delete;

  /// Binds and serves. Errors as HttpServer::start().
  Status start();
  /// Idempotent.
  void stop();
  /// Blocks until stop() is called from another thread (command line use).
  void wait_until_stopped();

  std::uint16_t port() const;
  /// "http://127.0.0.1:<port>".
  std::string base_url() const;
  /// base_url() + the send path: what an administrator would configure.
  std::string url() const;
  FakeGenericSmsConfig const& config() const;

  /// Scripted faults (status bursts, drops, resets, latency) and the journal.
  http::HttpServer& server();

  std::vector<GenericMessage> messages() const;
  /// Waits (real time) until at least `count` messages are recorded.
  [[nodiscard]] bool wait_for_messages(std::size_t count, std::chrono::milliseconds timeout) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace candor::fakes::generic
