#pragma once

// HttpClient: the HTTP/1.1 client every REST provider sends through.
//
// One client per provider account. It keeps a keep-alive pool per origin, caps
// the requests in flight, paces attempts with a token bucket on the injected
// clock, and retries 429, 5xx and the connection errors and timeouts that came
// before the request was written in full, with capped exponential backoff and
// full jitter. A 4xx other than 429 is final at once, and so is a failure after
// the request was written (HttpResult::written): the server may have taken it,
// and only the caller can put a resend on record. The provider turns the final
// result into a SendOutcome.
//
//   HttpClient client(io, clock, {.provider = "twilio", .max_attempts = 3});
//   client.send(request, message_id, [](HttpResult result) { ... });

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "core/clock/clock.hpp"
#include "core/clock/work_tracker.hpp"
#include "core/domain/types.hpp"

namespace candor::providers {

struct HttpClientOptions {
  /// Provider name for log lines ("twilio"); the logger is "provider.<name>".
  std::string provider = "http";
  /// Attempts per send, the first included; at least 1.
  int max_attempts = 4;
  /// Backoff before retry n (n = 1, 2, ...) is uniform in [0, min(cap, base * 2^(n-1))].
  std::chrono::milliseconds backoff_base{200};
  std::chrono::milliseconds backoff_cap{5000};
  /// Seed of the jitter; the draw for a retry depends only on the seed, the
  /// message id and the attempt, never on arrival order.
  std::uint64_t jitter_seed = 0x6361'6e64'6f72ULL;
  /// Real time allowed for DNS, TCP connect and the TLS handshake of one attempt.
  std::chrono::milliseconds connect_timeout{5000};
  /// Real time allowed for writing one request and reading its response.
  std::chrono::milliseconds read_timeout{15000};
  /// Bound on one send, attempts and waits included, measured on the injected
  /// clock: no attempt starts after it and no backoff runs past it. 0 = none.
  std::chrono::milliseconds total_timeout{60000};
  /// Requests on the wire at once; more wait in arrival order. At least 1.
  int max_in_flight = 16;
  /// Attempts per second on the injected clock; 0 = unpaced.
  double max_per_second = 0;
  /// Attempts that may start at once after a quiet period.
  int burst = 1;
  /// Idle keep-alive connections kept per origin.
  int max_idle_per_origin = 16;
  /// Idle connections older than this (real time) are closed instead of reused.
  std::chrono::milliseconds idle_timeout{30000};
  /// Largest response body read; a larger one fails the attempt.
  std::size_t max_response_bytes = 1 << 20;
  /// Extra PEM file of trusted CAs for https, besides the system store; empty = none.
  std::string ca_file;
  /// Pending sends and backoff timers are reported here; nullptr = none.
  clock::WorkTracker* tracker = nullptr;
  /// Sent as User-Agent.
  std::string user_agent = "candor/0.1";
};

/// One request. Header names are sent as given; Host, User-Agent,
/// Content-Length and Connection are set by the client.
struct HttpRequest {
  std::string method = "POST";
  /// Absolute http or https URL.
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  /// The first header of that name (case-insensitive), or empty.
  std::string header(std::string_view name) const;
};

/// Why a send ended without a response.
enum class HttpFailure : std::uint8_t {
  kNone,        ///< a response arrived; see HttpResult::response
  kBadRequest,  ///< the request itself is unusable (bad URL); never retried
  kConnect,     ///< DNS, connect or TLS handshake failed
  kTimeout,     ///< connect or read timeout
  kConnection,  ///< the connection broke during the exchange or the reply was malformed
  kStopped,     ///< the client was destroyed while the send waited
};

std::string_view to_string(HttpFailure failure);

/// The end of one send after the client's own retries.
struct HttpResult {
  /// The last response received, when the last attempt got one (a final 4xx, a
  /// 2xx, or the 429/5xx that used up the attempts).
  std::optional<HttpResponse> response;
  HttpFailure failure = HttpFailure::kNone;
  /// What went wrong when there is no response, for people.
  std::string error_message;
  /// The failure came after the request was written in full, so the server may
  /// have acted on it. Such a failure is never retried here: a resend is the
  /// caller's decision, to be put on record first.
  bool written = false;
  int attempts = 0;
  /// From a Retry-After header (seconds) on the last response.
  std::optional<clock::Duration> retry_after;
};

using HttpCallback = std::function<void(HttpResult)>;

/// The backoff before retry `retry` (1 = the wait after the first attempt):
/// full jitter, uniform in [0, min(cap, base * 2^(retry-1))], drawn from a
/// generator seeded by (seed, message_id, retry). Pure; exposed for tests.
clock::Duration backoff_delay(HttpClientOptions const& options, domain::MessageId message_id,
                              int retry);

/// Whether a response status is retried: 429 and 5xx.
bool is_retryable_status(int status);

/// Counters since construction; read at any time.
struct HttpClientStats {
  std::int64_t exchanges = 0;    ///< attempts that reached the network
  std::int64_t retries = 0;      ///< attempts that were followed by another
  std::int64_t connections = 0;  ///< connections opened
  std::int64_t reused = 0;       ///< attempts sent on a pooled connection
  std::int64_t queued = 0;       ///< attempts that waited for the in-flight cap
};

/// The client. send() is thread-safe. All network work runs on a strand of the
/// caller's io_context, which must be run by the caller and outlive the client;
/// callbacks run on that io_context. The clock must outlive the client.
class HttpClient {
 public:
  HttpClient(boost::asio::io_context& io, clock::Clock& clock, HttpClientOptions options = {});
  /// Sends still waiting on the clock (pacing, backoff) end with kStopped,
  /// provided the io_context still runs; exchanges on the wire finish first.
  ~HttpClient();
  HttpClient(HttpClient const&) = delete;
  HttpClient& operator=(HttpClient const&) = delete;

  /// Sends `request`, retrying as the options say, and calls `done` exactly once
  /// on the io_context. `message_id` keys the jitter and the log lines.
  void send(HttpRequest request, domain::MessageId message_id, HttpCallback done);

  HttpClientStats stats() const;
  HttpClientOptions const& options() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace candor::providers
