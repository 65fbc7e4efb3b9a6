#pragma once

// HttpClient: the fakes' way of calling out (status callbacks, inbound messages).
//
//   fakes::http::HttpClient client(clock, &tracker);
//   client.post_form(url, {{"MessageStatus", "sent"}}, {{"X-Twilio-Signature", sig}},
//                    [](fakes::http::ClientResult const& r) { ... });
//
// Each request holds a WorkTracker::Scope from send() until its completion callback
// has returned, so a manual clock settles only once the callback has been delivered.
//
// Connections are kept alive and reused per origin (scheme, host and port), at most
// ClientOptions::max_connections_per_origin at a time; further requests wait their turn
// in order. A burst of callbacks therefore costs a few connections, not one each, as
// with a real provider's webhook sender.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/clock/clock.hpp"
#include "core/clock/work_tracker.hpp"
#include "core/common/result.hpp"
#include "fakes/http/message.hpp"

namespace candor::fakes::http {

/// One outgoing request.
struct ClientRequest {
  std::string method = "POST";
  /// Absolute http:// URL.
  std::string url;
  Fields headers;
  std::string body;
  /// Content-Type header; omitted when empty.
  std::string content_type;
  /// Real-time limit for connect, write and read together. Real time, not the clock's:
  /// a loopback exchange takes real time even when the clock is virtual.
  std::chrono::milliseconds timeout = std::chrono::seconds(15);
};

/// What became of a request.
struct ClientResult {
  /// Set when no response arrived (bad URL, connect failure, reset, timeout).
  std::optional<Error> error;
  int status = 0;
  Fields headers;
  std::string body;
  clock::TimePoint sent_at{};
  clock::TimePoint completed_at{};

  /// A response arrived with a 2xx status.
  bool ok() const { return !error && status >= 200 && status < 300; }
};

using ClientCallback = std::function<void(ClientResult const&)>;

/// Options of an HttpClient.
struct ClientOptions {
  /// Logger component name.
  std::string log_name = "fake.http.client";
  /// Connections open at once to one origin, busy and idle together; at least 1.
  /// Default 32: enough that a burst of callbacks to a busy receiver is not held
  /// back by waiting for free connections.
  std::size_t max_connections_per_origin = 32;
};

/// An asynchronous HTTP/1.1 client on its own io_context thread, with a keep-alive
/// connection pool per origin. Thread-safe.
class HttpClient {
 public:
  HttpClient(clock::Clock& clock, clock::WorkTracker* tracker = nullptr,
             ClientOptions options = {});
  ~HttpClient();
  HttpClient(HttpClient const&) = delete;
  HttpClient& operator=(HttpClient const&) = delete;

  /// Sends `request`; `done` runs once on the client's thread. Never throws for bad
  /// input: a bad URL completes with an InvalidArgument error. After stop(), completes
  /// at once with Unavailable.
  void send(ClientRequest request, ClientCallback done);

  /// POST `fields` form-encoded to `url`.
  void post_form(std::string url, Fields const& fields, Fields headers, ClientCallback done);
  /// POST `json` (already serialised) to `url`.
  void post_json(std::string url, std::string json, Fields headers, ClientCallback done);

  /// Requests not yet completed.
  std::size_t in_flight() const;

  /// Abandons requests in flight (their callbacks never run, their work scopes end) and
  /// joins the thread. Idempotent; the destructor calls it.
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace candor::fakes::http
